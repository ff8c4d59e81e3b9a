import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countEffects,
  createProbeTable,
  effects,
  thingHappened,
} from '../../../test/support/probe.ts';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../../test/support/services.ts';
import type { Database } from '../db/database.ts';
import { createEventBus, type EventBus, type EventBusOptions } from './event-bus.ts';
import { outbox } from './schema.ts';
import { type Subscription, subscribe } from './subscription.ts';

// What both transports promise alike, run over each: readiness of the relay and a bounded stop.

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

const recordEffect = (subscriber: string) =>
  subscribe(subscriber, thingHappened, async (event, tx) => {
    await tx
      .insert(effects)
      .values({ subscriber, eventId: event.metadata.id, value: event.payload.value });
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

  it('reports an event the relay cannot move in its readiness check, and clears once it moves', async () => {
    const subscriber = `${kind}.stuck`;
    const bus = busWith([recordEffect(subscriber)], { relayStallMs: 400 });
    const eventId = await publish(bus, 1);

    // Another transaction holds the event's row: the relay (SKIP LOCKED) passes it by.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = db.transaction(async (tx) => {
      await tx.select().from(outbox).where(eq(outbox.id, eventId)).for('update');
      locked();
      await released;
    });
    await isLocked;
    await bus.start();
    await sleep(600);
    await expect(bus.checkRelay()).rejects.toThrow(/oldest event in the outbox has waited/);
    expect(await countEffects(db, subscriber)).toBe(0);

    release();
    await holder;
    await eventually(async () => expect(await countEffects(db, subscriber)).toBe(1));
    await eventually(() => bus.checkRelay());
  });

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
