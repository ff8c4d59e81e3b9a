import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startMonolith } from '../src/monolith.ts';
import { loadConfig } from '../src/platform/config.ts';

// One monolith replica on its own thread (its own event loop), as a separate process would run.
// The bench posts `stop` to end it; it answers with its URL once ready and `stopped` at the end.

const env = workerData as Record<string, string>;
const monolith = await startMonolith(loadConfig(env), pino({ level: 'silent' }));
parentPort?.postMessage({ url: monolith.url });
parentPort?.on('message', async (message) => {
  if (message !== 'stop') return;
  await monolith.stop();
  parentPort?.postMessage({ stopped: true });
});
