import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProbeTable, thingHappened } from '../../../test/support/probe.ts';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../../test/support/services.ts';
import type { Database } from '../db/database.ts';
import { createEventBus, type EventBus, type EventBusOptions } from './event-bus.ts';
import { type Subscription, subscribe } from './subscription.ts';

// What both transports promise alike, run over each.

const logger = pino({ level: 'silent' });
let db: Database;
let cleanupDb: () => Promise<void>;
let redis: TestRedis;
const running: EventBus[] = [];

beforeAll(async () => {
  const test = await openMigratedTestDatabase('bus_transports');
  db = test.handle.db;
  cleanupDb = test.cleanup;
  await createProbeTable(db);
  redis = createTestRedis('bus_transports');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop()));
});
afterAll(async () => {
  await redis.cleanup();
  await cleanupDb();
});

const publish = (bus: EventBus, value: number) =>
  db.transaction((tx) => bus.publish(tx, thingHappened, { value })).then((e) => e.metadata.id);

describe.each(['in-process', 'bullmq'] as const)('the event bus, %s', (kind) => {
  const busWith = (
    subscriptions: Subscription[],
    options: Partial<Omit<EventBusOptions, 'db' | 'logger'>> = {},
  ) => {
    const bus = createEventBus({
      db,
      logger,
      ...(kind === 'bullmq' && { redis: { client: redis.connect(), prefix: redis.prefix } }),
      maxAttempts: 3,
      retryBaseMs: 20,
      pollIntervalMs: 30,
      ...options,
    });
    bus.subscribe(...subscriptions);
    running.push(bus);
    return bus;
  };

  it('stops within its grace while a handler hangs', async () => {
    const subscriber = `${kind}.hanging`;
    let entered = false;
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const bus = busWith([
      subscribe(subscriber, thingHappened, async () => {
        entered = true;
        await finished;
      }),
    ]);
    await bus.start();
    await publish(bus, 1);
    await eventually(() => expect(entered).toBe(true));

    const started = performance.now();
    await bus.stop(500);
    expect(performance.now() - started).toBeLessThan(1_500);
    finish();
  });
});
