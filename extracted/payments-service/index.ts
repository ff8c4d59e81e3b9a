import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { EVENT_CONSUMERS, remoteSubscribersOf } from '../../src/contracts/event-consumers.ts';
import {
  requireServiceCaller,
  type ServiceCallerOptions,
} from '../../src/platform/auth/service-caller.ts';
import { defineComponent } from '../../src/platform/component/component.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../src/platform/component/start-component.ts';
import type { PaymentsServiceConfig } from './config.ts';
import { createPaymentsServiceModule, type PaymentsServiceOptions } from './payments-module.ts';

export {
  loadPaymentsServiceConfig,
  type PaymentsServiceConfig,
  paymentsServiceConfigSchema,
} from './config.ts';
export type { PaymentsServiceOptions } from './payments-module.ts';
export { applyPaymentState, OrderConflict, readPaymentStates } from './replication.ts';

/** The service's own migrations: the platform's bus tables and its payments schema. */
export const PAYMENTS_SERVICE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * payments-service as a component; `options` swaps its provider (tests rehearse faults), and
 * `trustedCallers` gives the calling components' keys at hand (the single-process run, tests)
 * instead of SERVICE_TRUSTED_CALLERS.
 */
export const createPaymentsServiceComponent = (
  options: PaymentsServiceOptions & {
    trustedCallers?: ServiceCallerOptions['trustedCallers'];
  } = {},
) =>
  defineComponent<PaymentsServiceConfig>({
    name: 'payments-service',
    routePrefix: '',
    port: (config) => ({ port: config.PAYMENTS_SERVICE_PORT, setting: 'PAYMENTS_SERVICE_PORT' }),
    database: (config) => ({
      url: config.PAYMENTS_SERVICE_DATABASE_URL,
      migrations: PAYMENTS_SERVICE_MIGRATIONS,
    }),
    // While payments live on both sides, the service keeps the legacy module's changes.
    consumes: EVENT_CONSUMERS['payments-service'],
    remoteSubscribers: remoteSubscribersOf('payments-service'),
    about: {
      title: 'payments-service',
      version: '1.0.0',
      description:
        'Payments extracted from the monolith: captures once per order, refunds in full, cursor-paginated lists; Idempotency-Key on every POST; errors carry a stable code in their type.',
      tags: [
        { name: 'payments', description: 'Payments captured for orders, and their refunds' },
        { name: 'operations', description: 'What this component serves, and where' },
      ],
    },
    build(context) {
      return {
        modules: [createPaymentsServiceModule(context, options, context.component)],
        // Only trusted components call it (the monolith's payment seam, the facade), each with a
        // service token; the end user they act for comes forwarded (see authorization.ts).
        authenticate: requireServiceCaller({
          audience: 'payments-service',
          trustedCallers: options.trustedCallers ?? context.config.SERVICE_TRUSTED_CALLERS,
        }),
        entryPoints: { payments: '/v1/payments' },
      };
    },
  });

export const paymentsServiceComponent = createPaymentsServiceComponent();

export type PaymentsService = RunningComponent;

export function startPaymentsService(
  config: PaymentsServiceConfig,
  logger: Logger,
): Promise<PaymentsService> {
  return startComponent(paymentsServiceComponent, config, logger);
}
