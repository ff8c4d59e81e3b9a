import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startMonolith } from '../src/monolith.ts';
import { loadMonolithConfig } from '../src/monolith-config.ts';

// One monolith replica on its own thread (its own event loop), as a separate process would run.
// The bench posts `stop` to end it; it answers with its URL once ready and `stopped` at the end,
// and with its event-loop utilisation when asked for `load`.

const env = workerData as Record<string, string>;
const monolith = await startMonolith(loadMonolithConfig(env), pino({ level: 'silent' }));
parentPort?.postMessage({ url: monolith.url });
parentPort?.on('message', async (message) => {
  // How busy this replica's event loop has been so far: its share of the CPU cost per order.
  if (message === 'load') parentPort?.postMessage({ load: performance.eventLoopUtilization() });
  if (message !== 'stop') return;
  await monolith.stop();
  parentPort?.postMessage({ stopped: true });
});
