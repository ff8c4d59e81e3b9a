import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import {
  createPaymentsServiceComponent,
  loadPaymentsServiceConfig,
} from '../extracted/payments-service/index.ts';
import { EVENT_CONSUMERS } from '../src/contracts/event-consumers.ts';
import type { PublicJwk } from '../src/platform/auth/jwk.ts';
import { startComponent } from '../src/platform/component/start-component.ts';
import { type ComponentThreadData, serveFromThread } from './component-thread.ts';

// payments-service on its own thread and its own database, trusting the monolith's service key
// (the replicas all sign with the one the bench made). It shares the replicas' Redis and prefix,
// so its relay queues payment.* jobs for the monolith's subscribers over BullMQ.

const { env, monolithKey } = workerData as ComponentThreadData & { monolithKey: PublicJwk };
const service = createPaymentsServiceComponent({
  trustedCallers: { monolith: { jwks: [monolithKey] } },
});
const running = await startComponent(
  service,
  loadPaymentsServiceConfig(env),
  pino({ level: 'silent' }),
  // The monolith is the only other component the bench runs.
  { remoteSubscribers: EVENT_CONSUMERS.monolith },
);
serveFromThread(running);
