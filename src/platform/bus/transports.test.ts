import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countEffects,
  createProbeTable,
  effects,
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
import { createEventBus, type EventBus, type EventBusOptions } from './event-bus.ts';
import { deliveries, inbox, outbox } from './schema.ts';
import { type Subscription, subscribe } from './subscription.ts';

// What both transports promise alike, run over each: readiness of the relay, a bounded stop,
// and retention of what delivery leaves behind.

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

const DAY_MS = 24 * 3600 * 1000;

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

  it("leaves a subscriber of others' events only out of its own component's fan-out", async () => {
    const everyone = `${kind}.everyone`;
    const othersOnly = `${kind}.others_only`;
    const bus = busWith([
      recordEffect(everyone),
      { ...recordEffect(othersOnly), othersOnly: true },
    ]);
    await bus.start();
    const eventId = await publish(bus, 7);
    await eventually(async () => {
      expect(await countEffects(db, everyone)).toBe(1);
      const [row] = await db.select().from(outbox).where(eq(outbox.id, eventId));
      expect(row?.dispatchedAt).not.toBeNull();
    });
    // Time for a delivery that should not exist to show up, had it been handed over.
    await sleep(300);
    expect(await countEffects(db, othersOnly)).toBe(0);
    const inboxRows = await db
      .select()
      .from(inbox)
      .where(and(eq(inbox.eventId, eventId), eq(inbox.consumer, othersOnly)));
    const records = await db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.subscriber, othersOnly)));
    expect(inboxRows).toEqual([]);
    expect(records).toEqual([]);
  });

  it('prunes delivered events, their deliveries and inbox rows after the window, keeping dead and pending ones', async () => {
    const ok = `${kind}.keep_ok`;
    const poisoned = `${kind}.keep_poisoned`;
    const retrying = `${kind}.keep_retrying`;
    // The poisoned subscriber refuses value 13 for good; every other event goes through.
    const first = busWith([
      recordEffect(ok),
      subscribe(poisoned, thingHappened, async (event, tx) => {
        if (event.payload.value === 13) throw new Error('poison');
        await tx
          .insert(effects)
          .values({ subscriber: poisoned, eventId: event.metadata.id, value: 1 });
      }),
    ]);
    await first.start();
    const delivered = await publish(first, 1);
    const dead = await publish(first, 13);
    await eventually(async () => {
      expect(await countEffects(db, ok)).toBe(2);
      expect(await countEffects(db, poisoned)).toBe(1);
      expect(await first.deadDeliveries()).toContainEqual(
        expect.objectContaining({ eventId: dead, subscriber: poisoned }),
      );
    });
    await first.stop();
    running.splice(running.indexOf(first), 1);

    // A delivery of value 2 waits a long time for its retry.
    const second = busWith(
      [
        subscribe(retrying, thingHappened, async (event, tx) => {
          if (event.payload.value === 2) throw new Error('not now');
          await tx
            .insert(effects)
            .values({ subscriber: retrying, eventId: event.metadata.id, value: 1 });
        }),
      ],
      { retryBaseMs: DAY_MS },
    );
    await second.start();
    const pending = await publish(second, 2);
    await eventually(async () => {
      const [row] = await db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.eventId, pending), eq(deliveries.subscriber, retrying)));
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    });

    // Everything so far eight days old, by the database's clock; one event delivered just now.
    const aged = [delivered, dead, pending];
    await db
      .update(outbox)
      .set({
        createdAt: sql`now() - interval '8 days'`,
        dispatchedAt: sql`now() - interval '8 days'`,
      })
      .where(inArray(outbox.id, aged));
    await db
      .update(deliveries)
      .set({
        nextAttemptAt: sql`now() - interval '8 days'`,
        deliveredAt: sql`case when ${deliveries.deliveredAt} is null then null else now() - interval '8 days' end`,
      })
      .where(inArray(deliveries.eventId, aged));
    await db
      .update(inbox)
      .set({ handledAt: sql`now() - interval '8 days'` })
      .where(inArray(inbox.eventId, aged));
    const fresh = await publish(second, 3);
    await eventually(async () => expect(await countEffects(db, retrying)).toBe(1));

    expect(await second.prune(7 * DAY_MS, 1_000)).toBeGreaterThan(0);

    const ids = [delivered, dead, pending, fresh];
    const outboxLeft = await db.select().from(outbox).where(inArray(outbox.id, ids));
    expect(outboxLeft.map((row) => row.id).sort()).toEqual([dead, pending, fresh].sort());
    const deliveriesLeft = await db
      .select()
      .from(deliveries)
      .where(inArray(deliveries.eventId, ids));
    const name = (eventId: string) =>
      ({ [delivered]: 'delivered', [dead]: 'dead', [pending]: 'pending', [fresh]: 'fresh' })[
        eventId
      ];
    expect(
      deliveriesLeft.map((row) => `${name(row.eventId)} ${row.subscriber} ${row.status}`).sort(),
    ).toEqual(
      [
        `dead ${poisoned} dead`,
        `pending ${retrying} pending`,
        // In-process the records are the queue; through Redis a first try that succeeds
        // leaves none (only its inbox row, below).
        ...(kind === 'in-process' ? [`fresh ${retrying} delivered`] : []),
      ].sort(),
    );
    // An inbox row stays while its event is in the outbox (the dead one may be replayed).
    const inboxLeft = await db.select().from(inbox).where(inArray(inbox.eventId, ids));
    expect(inboxLeft.map((row) => `${name(row.eventId)} ${row.consumer}`).sort()).toEqual(
      [`dead ${ok}`, `fresh ${retrying}`].sort(),
    );
    // A second sweep finds nothing more to delete.
    expect(await second.prune(7 * DAY_MS, 1_000)).toBe(0);
  });
});
