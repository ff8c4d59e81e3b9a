import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { EVENT_CONSUMERS } from '../src/contracts/event-consumers.ts';
import { monolithComponent } from '../src/monolith.ts';
import { loadMonolithConfig } from '../src/monolith-config.ts';
import { startComponent } from '../src/platform/component/start-component.ts';
import { type ComponentThreadData, serveFromThread } from './component-thread.ts';

// One monolith replica on its own thread. Only the bench's components run, so its events go to
// the subscribers of those alone: with payments extracted, payments-service's; otherwise none
// outside the monolith (no job waits in Redis for a users-service that is not there).

const { env, extracted } = workerData as ComponentThreadData;
const monolith = await startComponent(
  monolithComponent,
  loadMonolithConfig(env),
  pino({ level: 'silent' }),
  { remoteSubscribers: extracted ? EVENT_CONSUMERS['payments-service'] : {} },
);
serveFromThread(monolith);
