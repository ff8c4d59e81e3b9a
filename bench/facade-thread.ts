import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createFacadeComponent, loadFacadeConfig } from '../facade/index.ts';
import { startComponent } from '../src/platform/component/start-component.ts';
import { serveThreadLoad } from './thread-load.ts';

// The facade alone on its own thread, forwarding to the monolith instances its env names
// (FACADE_MONOLITH_URLS), on its own database, as its container runs it.

const { env } = workerData as { env: Record<string, string> };
const facade = await startComponent(
  createFacadeComponent(),
  loadFacadeConfig(env),
  pino({ level: 'silent' }),
);
serveThreadLoad({ url: facade.url, stop: () => facade.stop() });
