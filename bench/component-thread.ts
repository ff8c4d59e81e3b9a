import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { RunningComponent } from '../src/platform/component/start-component.ts';

// The thread side of a component the bench runs on its own thread (its own event loop), as a
// separate process would run it. It answers with its URL once ready, with its event-loop
// utilisation and its thread's CPU time when asked for `load`, and with `stopped` once a `stop`
// has stopped it.

/** What the bench's thread gives a component thread to start with. */
export interface ComponentThreadData {
  env: Record<string, string>;
  /** The monolith's payments go through payments-service, which runs beside it. */
  extracted: boolean;
}

export function serveFromThread(component: RunningComponent) {
  parentPort?.postMessage({ url: component.url });
  parentPort?.on('message', async (message) => {
    // How busy this thread's event loop has been so far, and the CPU it used: its share of the
    // cost per order (a loop waiting for a core counts as busy; CPU time does not).
    if (message === 'load') {
      parentPort?.postMessage({
        load: performance.eventLoopUtilization(),
        cpu: process.threadCpuUsage(),
      });
    }
    if (message !== 'stop') return;
    await component.stop();
    parentPort?.postMessage({ stopped: true });
  });
}
