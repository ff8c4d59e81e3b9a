import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { paymentChanged } from '../../src/contracts/payments/v1/index.ts';
import { createPaymentsModule, type PaymentsApi } from '../../src/modules/payments/index.ts';
import { loadMonolithConfig, type MonolithConfig } from '../../src/monolith-config.ts';
import { createEventBus, type EventBus } from '../../src/platform/bus/event-bus.ts';
import { createInProcessBroker } from '../../src/platform/bus/in-process-broker.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { Module, ModuleContext } from '../../src/platform/module.ts';
import {
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../extracted/payments-service/harness.ts';
import { openMigratedTestDatabase, type TestRedis } from '../support/services.ts';

/**
 * Both payments implementations live, each on its own fresh PostgreSQL database: the legacy
 * module on a monolith-like bus (component `monolith`) and payments-service started by the
 * kernel, their buses sharing one in-process broker (or one BullMQ prefix), each told the other's replication
 * subscriber (what src/system.ts computes from the definitions' `consumes`).
 */
export interface BothPaymentStores {
  legacy: { db: Database; bus: EventBus; module: Module<PaymentsApi> };
  service: PaymentsServiceHarness;
  stop(): Promise<void>;
}

/** Without `redis`, over an in-process broker; with it, over BullMQ under its prefix. */
export async function startBothPaymentStores(
  label: string,
  redis?: TestRedis,
): Promise<BothPaymentStores> {
  const broker = createInProcessBroker();
  const logger = pino({ level: 'silent' });
  const legacyDatabase = await openMigratedTestDatabase(`${label}_legacy`);
  const db = legacyDatabase.handle.db;
  const bus = createEventBus({
    db,
    logger,
    component: 'monolith',
    ...(redis ? { redis: { client: redis.connect(), prefix: redis.prefix } } : { broker }),
    remoteSubscribers: { [paymentChanged.name]: ['payments-service.replicate-from-legacy'] },
    maxAttempts: 2,
    retryBaseMs: 20,
    pollIntervalMs: 20,
  });
  const context: ModuleContext<MonolithConfig> = {
    config: loadMonolithConfig({}),
    db,
    events: bus,
    logger,
  };
  const module = createPaymentsModule(context, {}, { component: 'monolith' });
  bus.subscribe(...(module.subscriptions ?? []));
  await bus.start();
  const service = await startPaymentsServiceOnPostgres(
    `${label}_service`,
    {},
    {
      EVENT_MAX_ATTEMPTS: '2',
      EVENT_RETRY_BASE_MS: '20',
      ...(redis && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
    },
    undefined,
    {
      ...(redis === undefined && { broker }),
      remoteSubscribers: { [paymentChanged.name]: ['payments.replicate-from-service'] },
    },
  );
  return {
    legacy: { db, bus, module },
    service,
    async stop() {
      await service.stop();
      await bus.stop(2_000);
      await legacyDatabase.cleanup();
    },
  };
}

export const legacyCapture = (amountMinor = 2500, cardToken: string | undefined = 'tok_visa') => ({
  orderId: randomUUID(),
  userId: randomUUID(),
  amount: { amountMinor, currency: 'EUR' },
  ...(cardToken !== undefined && { cardToken }),
});
