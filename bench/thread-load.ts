import { parentPort } from 'node:worker_threads';

// The thread side of a server `bench:facade` runs on its own thread: it answers with its URLs
// once ready, with its thread's CPU time so far when asked for `load` (its CPU cost per request,
// steadier than req/s on a shared machine, where a descheduled thread still counts as busy in
// event-loop utilisation), and with `stopped` once a `stop` has stopped it.

export interface ServedThread {
  url: string;
  /** Other URLs the thread serves (the single-process run's monolith beside its facade). */
  urls?: Record<string, string>;
  stop(): Promise<void>;
}

export function serveThreadLoad(served: ServedThread) {
  parentPort?.postMessage({ url: served.url, urls: served.urls ?? {} });
  parentPort?.on('message', async (message) => {
    if (message === 'load') parentPort?.postMessage({ cpu: process.threadCpuUsage() });
    if (message !== 'stop') return;
    await served.stop();
    parentPort?.postMessage({ stopped: true });
  });
}
