import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createPaymentsServiceComponent } from '../extracted/payments-service/index.ts';
import { monolithComponent } from '../src/monolith.ts';
import { loadMonolithConfig } from '../src/monolith-config.ts';
import { startComponent } from '../src/platform/component/start-component.ts';
import { remoteSubscribersOf } from '../src/system.ts';
import { type ComponentThreadData, serveFromThread } from './component-thread.ts';

// One monolith replica on its own thread. With payments extracted, what payments-service
// consumes of the monolith's events (if anything) is queued for it over BullMQ.

const { env, extracted } = workerData as ComponentThreadData;
const monolith = await startComponent(
  monolithComponent,
  loadMonolithConfig(env),
  pino({ level: 'silent' }),
  extracted
    ? {
        remoteSubscribers: remoteSubscribersOf('monolith', [
          monolithComponent,
          createPaymentsServiceComponent(),
        ]),
      }
    : {},
);
serveFromThread(monolith);
