import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, isNotNull } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countEffects,
  createProbeTable,
  recordEffect,
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
import { createInProcessBroker, type InProcessBroker } from './in-process-broker.ts';
import { deliveries, inbox, outbox } from './schema.ts';
import { subscribe } from './subscription.ts';

// Events across components: a publisher in one component (its own database) and a consumer in
// another (its own database). The consumer's inbox and delivery state live in ITS database;
// the same suite runs over the in-process broker (one process, no Redis) and over BullMQ.

const logger = pino({ level: 'silent' });
let publisherDb: Database;
let consumerDb: Database;
const cleanups: Array<() => Promise<void>> = [];
let redis: TestRedis;
const running: EventBus[] = [];

beforeAll(async () => {
  const publisher = await openMigratedTestDatabase('across_publisher');
  const consumer = await openMigratedTestDatabase('across_consumer');
  publisherDb = publisher.handle.db;
  consumerDb = consumer.handle.db;
  cleanups.push(publisher.cleanup, consumer.cleanup);
  await createProbeTable(consumerDb);
  redis = createTestRedis('bus_across');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop(2_000)));
});
afterAll(async () => {
  await redis.cleanup();
  for (const cleanup of cleanups) await cleanup();
});

const publish = (bus: EventBus, value: number) =>
  publisherDb
    .transaction((tx) => bus.publish(tx, thingHappened, { value }))
    .then((envelope) => envelope.metadata.id);

const inboxOf = (db: Database, consumer: string) =>
  db.select().from(inbox).where(eq(inbox.consumer, consumer));

const dispatched = async (eventId: string) =>
  (
    await publisherDb
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.id, eventId), isNotNull(outbox.dispatchedAt)))
  ).length === 1;

describe.each(['in-process', 'bullmq'] as const)('events across components, %s', (kind) => {
  let broker: InProcessBroker;
  const components = (subscriber: string) => {
    broker = createInProcessBroker();
    const transport = (db: Database) => ({
      db,
      logger,
      maxAttempts: 3,
      retryBaseMs: 20,
      pollIntervalMs: 30,
      ...(kind === 'bullmq'
        ? { redis: { client: redis.connect(), prefix: redis.prefix } }
        : { broker }),
    });
    // The deployment's fact: the consumer component subscribes to the event, by name.
    const publisher = createEventBus({
      ...transport(publisherDb),
      component: 'publisher-component',
      remoteSubscribers: { [thingHappened.name]: [subscriber] },
    });
    const consumer = createEventBus(transport(consumerDb));
    running.push(publisher, consumer);
    return { publisher, consumer };
  };

  it("delivers to the other component's subscriber, whose inbox is in its own database", async () => {
    const subscriber = `${kind}.across_delivers`;
    const { publisher, consumer } = components(subscriber);
    consumer.subscribe(recordEffect(subscriber));
    await consumer.start();
    await publisher.start();

    const eventId = await publish(publisher, 7);
    await eventually(async () => expect(await countEffects(consumerDb, subscriber)).toBe(1));
    // Each event names the component it came from.
    const [row] = await publisherDb.select().from(outbox).where(eq(outbox.id, eventId));
    expect(row?.metadata.origin).toBe('publisher-component');
    expect((await inboxOf(consumerDb, subscriber)).map((row) => row.eventId)).toEqual([eventId]);
    expect(await inboxOf(publisherDb, subscriber)).toEqual([]);
    expect(
      await publisherDb.select().from(deliveries).where(eq(deliveries.subscriber, subscriber)),
    ).toEqual([]);
    await eventually(async () => expect(await dispatched(eventId)).toBe(true));
  });

  it("keeps a failing delivery's retries in the consumer's database", async () => {
    const subscriber = `${kind}.across_retries`;
    const { publisher, consumer } = components(subscriber);
    let calls = 0;
    consumer.subscribe(
      subscribe(subscriber, thingHappened, async (event, tx) => {
        calls += 1;
        if (calls === 1) throw new Error('first try fails');
        await recordEffect(subscriber).handle(event, tx);
      }),
    );
    await consumer.start();
    await publisher.start();

    const eventId = await publish(publisher, 8);
    await eventually(async () => expect(await countEffects(consumerDb, subscriber)).toBe(1));
    const [record] = await consumerDb
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.subscriber, subscriber), eq(deliveries.eventId, eventId)));
    expect(record).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(
      await publisherDb.select().from(deliveries).where(eq(deliveries.subscriber, subscriber)),
    ).toEqual([]);
  });

  it('delivers what was published while the consumer was not running, once it starts', async () => {
    const subscriber = `${kind}.across_late`;
    const { publisher, consumer } = components(subscriber);
    consumer.subscribe(recordEffect(subscriber));
    await publisher.start();
    const eventId = await publish(publisher, 9);
    await sleep(300);
    expect(await countEffects(consumerDb, subscriber)).toBe(0);

    await consumer.start();
    await eventually(async () => expect(await countEffects(consumerDb, subscriber)).toBe(1));
    await eventually(async () => expect(await dispatched(eventId)).toBe(true));
  });
});

describe('the in-process broker', () => {
  it('leaves an event in the outbox while a subscriber the code declares has no running bus', async () => {
    const subscriber = 'in-process.across_absent';
    const broker = createInProcessBroker();
    const options = { logger, maxAttempts: 3, retryBaseMs: 20, pollIntervalMs: 30, broker };
    const publisher = createEventBus({
      ...options,
      db: publisherDb,
      remoteSubscribers: { [thingHappened.name]: [subscriber] },
    });
    running.push(publisher);
    await publisher.start();
    const eventId = await publish(publisher, 10);
    await sleep(300);
    // Marked dispatched now, it would be lost for the consumer: it must wait.
    expect(await dispatched(eventId)).toBe(false);

    const consumer = createEventBus({ ...options, db: consumerDb });
    consumer.subscribe(recordEffect(subscriber));
    running.push(consumer);
    await consumer.start();
    await eventually(async () => expect(await dispatched(eventId)).toBe(true));
    await eventually(async () => expect(await countEffects(consumerDb, subscriber)).toBe(1));
  });

  it('refuses a second bus attaching for a subscriber another bus already consumes for', () => {
    const broker = createInProcessBroker();
    const consumer = { subscribers: ['a.b'], accept: async () => {} };
    broker.attach(consumer);
    expect(() => broker.attach({ subscribers: ['a.b'], accept: async () => {} })).toThrow(
      /already attached/,
    );
  });
});
