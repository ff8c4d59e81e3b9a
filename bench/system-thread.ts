import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startSystem } from '../src/system.ts';
import { serveThreadLoad } from './thread-load.ts';

// The single-process run on one thread (every component in one event loop, the facade serving
// legacy routes from the monolith's app in-process), with each component on PostgreSQL.

const { env } = workerData as { env: Record<string, string> };
const system = await startSystem(env, pino({ level: 'silent' }));
const urls = Object.fromEntries(
  system.components.map((component) => [component.name, component.url]),
);
serveThreadLoad({ url: urls.facade!, urls, stop: () => system.stop() });
