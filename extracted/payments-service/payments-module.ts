import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  paymentCaptured,
  paymentChanged,
  paymentFailed,
  paymentRefunded,
} from '../../src/contracts/payments/v1/index.ts';
import { createIdempotencyStore } from '../../src/platform/http/idempotency/store.ts';
import { defineModule, type Module, type ModuleContext } from '../../src/platform/module.ts';
import type { PaymentsServiceConfig } from './config.ts';
import type { PaymentsServiceDeps } from './deps.ts';
import type { PaymentProvider } from './provider.ts';
import { replicateFromLegacy } from './replication.ts';
import { paymentsServiceRoutes } from './routes.ts';
import { createSandboxProvider } from './sandbox-provider.ts';
import { idempotencyRecords, payments } from './schema.ts';

export interface PaymentsServiceOptions {
  /** Defaults to the service's sandbox (see sandbox-provider.ts for its rules). */
  provider?: PaymentProvider;
  /** How long a capture's claim holds without its heartbeat (a crashed attempt lapses then). */
  captureAttemptMs?: number;
  /** How long a capture waits for another one of the same order before answering 503. */
  captureWaitMs?: number;
}

/** The service's business logic as one platform module: its routes, its events, its retention. */
export function createPaymentsServiceModule(
  context: ModuleContext<PaymentsServiceConfig>,
  options: PaymentsServiceOptions = {},
  /** This component's name: payment.changed it published itself is skipped by its origin. */
  component = 'payments-service',
): Module<Record<string, never>> {
  const { config, db, logger } = context;
  const attemptMs = options.captureAttemptMs ?? 10_000;
  const deps: PaymentsServiceDeps = {
    db,
    events: context.events,
    logger,
    provider:
      options.provider ??
      createSandboxProvider({ latencyMs: config.PAYMENTS_SERVICE_SANDBOX_LATENCY_MS }),
    attempts: {
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      inFlight: new Set(),
      leaseMs: attemptMs,
      // Long enough that a crashed attempt lapses while a capture waits for it.
      waitMs: options.captureWaitMs ?? attemptMs + 5_000,
      providerTimeoutMs: config.PAYMENTS_SERVICE_PROVIDER_TIMEOUT_MS,
    },
  };
  const keys = createIdempotencyStore(db, idempotencyRecords, {
    waitMs: config.PAYMENTS_SERVICE_IDEMPOTENCY_WAIT_MS,
    logger,
  });
  return defineModule({
    name: 'payments',
    schema: payments,
    routes: paymentsServiceRoutes(deps, keys),
    publishes: [paymentCaptured, paymentFailed, paymentRefunded, paymentChanged],
    subscriptions: [replicateFromLegacy(component)],
    prune: (olderThanMs, limit) => keys.prune(olderThanMs, limit),
    api: {},
  });
}
