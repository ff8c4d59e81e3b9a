import { Queue } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { createEventBus, type EventBus } from './event-bus.ts';
import { deliveries, outbox } from './schema.ts';
import { type Subscription, subscribe } from './subscription.ts';

const logger = pino({ level: 'silent' });
let db: Database;
let cleanupDb: () => Promise<void>;
let redis: TestRedis;
const running: EventBus[] = [];

beforeAll(async () => {
  const test = await openMigratedTestDatabase('bullmq_bus');
  db = test.handle.db;
  cleanupDb = test.cleanup;
  await createProbeTable(db);
  redis = createTestRedis('bullmq_bus');
});

afterAll(async () => {
  await Promise.all(running.map((bus) => bus.stop()));
  await redis.cleanup();
  await cleanupDb();
});

/** A bus as one process would have it: its own Redis connection, the shared prefix. */
function processBus(...subscriptions: Subscription[]): EventBus {
  const bus = createEventBus({
    db,
    logger,
    redis: { client: redis.connect(), prefix: redis.prefix },
    maxAttempts: 3,
    retryBaseMs: 20,
    pollIntervalMs: 30,
  });
  bus.subscribe(...subscriptions);
  running.push(bus);
  return bus;
}

const recordEffect = (subscriber: string, delayMs = 0) =>
  subscribe(subscriber, thingHappened, async (event, tx) => {
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    await tx
      .insert(effects)
      .values({ subscriber, eventId: event.metadata.id, value: event.payload.value });
  });

const queueOf = (subscriber: string) =>
  new Queue(`events.${subscriber}`, {
    connection: redis.connect(),
    prefix: `${redis.prefix}:bull`,
  });

describe('event bus over BullMQ (Redis + PostgreSQL)', () => {
  it('two processes sharing Redis each deliver to their own subscribers exactly once in effect', async () => {
    const orders = processBus(recordEffect('orders.on_thing'));
    const mailer = processBus(recordEffect('mailer.on_thing'));
    await orders.start();
    await mailer.start();

    const event = await db.transaction((tx) => orders.publish(tx, thingHappened, { value: 42 }));
    await eventually(async () => {
      expect(await countEffects(db, 'orders.on_thing')).toBe(1);
      expect(await countEffects(db, 'mailer.on_thing')).toBe(1);
    });

    // A relay that dies after queueing but before marking the row sent queues it again:
    // the job id and the inbox keep that from having a second effect.
    await db.update(outbox).set({ dispatchedAt: null }).where(eq(outbox.id, event.metadata.id));
    await eventually(async () => {
      const [row] = await db.select().from(outbox).where(eq(outbox.id, event.metadata.id));
      expect(row?.dispatchedAt).not.toBeNull();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await countEffects(db, 'orders.on_thing')).toBe(1);
    expect(await countEffects(db, 'mailer.on_thing')).toBe(1);
  });

  it('retries with backoff through the queue and records one effect', async () => {
    let calls = 0;
    const flaky = subscribe('flaky.on_thing', thingHappened, async (event, tx) => {
      calls += 1;
      await tx
        .insert(effects)
        .values({ subscriber: 'flaky.on_thing', eventId: event.metadata.id, value: 1 });
      if (calls <= 2) throw new Error(`transient ${calls}`);
    });
    const bus = processBus(flaky);
    await bus.start();
    const event = await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 1 }));
    await eventually(async () => expect(await countEffects(db, 'flaky.on_thing')).toBe(1));
    const [delivery] = await db
      .select()
      .from(deliveries)
      .where(
        sql`${deliveries.eventId} = ${event.metadata.id} and ${deliveries.subscriber} = 'flaky.on_thing'`,
      );
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(calls).toBe(3);
  });

  it('parks a delivery as dead after the last attempt and replays it', async () => {
    let healthy = false;
    const fragile = subscribe('fragile.on_thing', thingHappened, async (event, tx) => {
      if (!healthy) throw new Error('broken');
      await tx
        .insert(effects)
        .values({ subscriber: 'fragile.on_thing', eventId: event.metadata.id, value: 1 });
    });
    const bus = processBus(fragile);
    await bus.start();
    const event = await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 1 }));
    await eventually(async () =>
      expect(await bus.deadDeliveries()).toContainEqual(
        expect.objectContaining({
          eventId: event.metadata.id,
          subscriber: 'fragile.on_thing',
          attempts: 3,
        }),
      ),
    );
    healthy = true;
    expect(await bus.replay(event.metadata.id, 'fragile.on_thing')).toBe(true);
    await eventually(async () => expect(await countEffects(db, 'fragile.on_thing')).toBe(1));
  });

  it('finishes the job in flight at shutdown and leaves nothing active or stalled', async () => {
    const bus = processBus(recordEffect('slow.on_thing', 400));
    await bus.start();
    await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 1 }));
    const queue = queueOf('slow.on_thing');
    await eventually(async () => expect((await queue.getJobCounts('active')).active).toBe(1));
    await bus.stop();
    expect(await countEffects(db, 'slow.on_thing')).toBe(1);
    expect(await queue.getJobCounts('active', 'wait', 'delayed')).toEqual({
      active: 0,
      wait: 0,
      delayed: 0,
    });
    await queue.close();
  });

  it('delivers events queued while the consuming process was down once it starts again', async () => {
    const consumer = processBus(recordEffect('late.on_thing'));
    await consumer.start();
    await consumer.stop();
    const publisher = processBus();
    await publisher.start();
    await db.transaction((tx) => publisher.publish(tx, thingHappened, { value: 1 }));
    const queue = queueOf('late.on_thing');
    await eventually(async () => expect((await queue.getJobCounts('wait')).wait).toBe(1));
    expect(await countEffects(db, 'late.on_thing')).toBe(0);

    const restarted = processBus(recordEffect('late.on_thing'));
    await restarted.start();
    await eventually(async () => expect(await countEffects(db, 'late.on_thing')).toBe(1));
    await queue.close();
  });
});
