import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countEffects,
  createProbeTable,
  effects,
  recordEffect,
  thingHappened,
} from '../../../test/support/probe.ts';
import { eventually, openMigratedTestDatabase } from '../../../test/support/services.ts';
import type { Database } from '../db/database.ts';
import { createEventBus, type EventBus } from './event-bus.ts';
import { contextFromEvent } from './event-contract.ts';
import { deliveries, outbox } from './schema.ts';
import { type Subscription, subscribe } from './subscription.ts';

const logger = pino({ level: 'silent' });
let db: Database;
let cleanup: () => Promise<void>;
const running: EventBus[] = [];

beforeAll(async () => {
  const test = await openMigratedTestDatabase('event_bus');
  db = test.handle.db;
  cleanup = test.cleanup;
  await createProbeTable(db);
});

afterAll(async () => {
  await Promise.all(running.map((bus) => bus.stop()));
  await cleanup();
});

function busWith(...subscriptions: Subscription[]): EventBus {
  return busWithRetryBase(20, ...subscriptions);
}

function busWithRetryBase(retryBaseMs: number, ...subscriptions: Subscription[]): EventBus {
  const bus = createEventBus({ db, logger, maxAttempts: 3, retryBaseMs, pollIntervalMs: 30 });
  bus.subscribe(...subscriptions);
  running.push(bus);
  return bus;
}

async function deliveryOf(eventId: string, subscriber: string) {
  const [row] = await db
    .select()
    .from(deliveries)
    .where(eq(deliveries.eventId, eventId))
    .then((rows) => rows.filter((r) => r.subscriber === subscriber));
  return row;
}

describe('event bus (in-process, PostgreSQL)', () => {
  it('publishes nothing when the publishing transaction rolls back', async () => {
    const bus = busWith(recordEffect('rollback.probe'));
    await bus.start();
    await expect(
      db.transaction(async (tx) => {
        await bus.publish(tx, thingHappened, { value: 1 });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    // A committed event afterwards is delivered; the rolled-back one never is.
    const committed = await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 2 }));
    await eventually(async () => expect(await countEffects(db, 'rollback.probe')).toBe(1));
    const rows = await db.select().from(effects).where(eq(effects.subscriber, 'rollback.probe'));
    expect(rows).toEqual([
      { subscriber: 'rollback.probe', eventId: committed.metadata.id, value: 2 },
    ]);
    expect((await db.select().from(outbox)).map((r) => r.id)).not.toContain(undefined);
    await bus.stop();
  });

  it('refuses a payload that breaks the contract, writing nothing', async () => {
    const bus = busWith();
    const before = (await db.select().from(outbox)).length;
    await expect(
      db.transaction((tx) => bus.publish(tx, thingHappened, { value: 'one' as unknown as number })),
    ).rejects.toThrow();
    expect((await db.select().from(outbox)).length).toBe(before);
  });

  it('retries a subscriber that fails twice, and the effect happens once', async () => {
    let calls = 0;
    const flaky = subscribe('flaky.probe', thingHappened, async (event, tx) => {
      calls += 1;
      // The write happens before the failure: a failed attempt must leave nothing behind.
      await tx
        .insert(effects)
        .values({ subscriber: 'flaky.probe', eventId: event.metadata.id, value: calls });
      if (calls <= 2) throw new Error(`transient failure ${calls}`);
    });
    const bus = busWith(flaky);
    await bus.start();
    const event = await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 7 }));
    await eventually(async () =>
      expect((await deliveryOf(event.metadata.id, 'flaky.probe'))?.status).toBe('delivered'),
    );
    expect(calls).toBe(3);
    expect(await countEffects(db, 'flaky.probe')).toBe(1);
    expect((await deliveryOf(event.metadata.id, 'flaky.probe'))?.attempts).toBe(3);
    await bus.stop();
  });

  it('parks a delivery as dead after the last attempt, lists it, and replays it', async () => {
    let healthy = false;
    const fragile = subscribe('fragile.probe', thingHappened, async (event, tx) => {
      if (!healthy) throw new Error('downstream is broken');
      await tx
        .insert(effects)
        .values({ subscriber: 'fragile.probe', eventId: event.metadata.id, value: 1 });
    });
    const bus = busWith(fragile);
    await bus.start();
    const event = await db.transaction((tx) => bus.publish(tx, thingHappened, { value: 3 }));
    await eventually(async () =>
      expect((await deliveryOf(event.metadata.id, 'fragile.probe'))?.status).toBe('dead'),
    );
    const dead = await bus.deadDeliveries();
    expect(dead).toContainEqual(
      expect.objectContaining({
        eventId: event.metadata.id,
        subscriber: 'fragile.probe',
        attempts: 3,
        lastError: 'downstream is broken',
      }),
    );
    expect(await countEffects(db, 'fragile.probe')).toBe(0);

    healthy = true;
    expect(await bus.replay(event.metadata.id, 'fragile.probe')).toBe(true);
    await eventually(async () => expect(await countEffects(db, 'fragile.probe')).toBe(1));
    expect(await bus.replay(event.metadata.id, 'fragile.probe')).toBe(false);
    await bus.stop();
  });

  it('delivers after a restart what was committed but not yet relayed or delivered', async () => {
    // The first process commits and dies before its relay runs: never started.
    const crashed = busWith(recordEffect('restart.probe'));
    const event = await db.transaction((tx) => crashed.publish(tx, thingHappened, { value: 11 }));
    expect(await countEffects(db, 'restart.probe')).toBe(0);

    // The next process, with the same subscribers, picks the work up.
    const restarted = busWith(recordEffect('restart.probe'));
    await restarted.start();
    await eventually(async () => expect(await countEffects(db, 'restart.probe')).toBe(1));
    expect((await deliveryOf(event.metadata.id, 'restart.probe'))?.status).toBe('delivered');
    await restarted.stop();
  });

  it('resumes a delivery that was waiting for its retry when the process stopped', async () => {
    let failFirst = true;
    const subscriber = (name: string) =>
      subscribe(name, thingHappened, async (event, tx) => {
        if (failFirst) {
          failFirst = false;
          throw new Error('first attempt fails');
        }
        await tx.insert(effects).values({ subscriber: name, eventId: event.metadata.id, value: 1 });
      });
    // The retry waits at least half a second: long enough to stop the process first.
    const first = busWithRetryBase(1_000, subscriber('resume.probe'));
    await first.start();
    const event = await db.transaction((tx) => first.publish(tx, thingHappened, { value: 5 }));
    await eventually(async () =>
      expect((await deliveryOf(event.metadata.id, 'resume.probe'))?.attempts).toBe(1),
    );
    await first.stop();
    expect((await deliveryOf(event.metadata.id, 'resume.probe'))?.status).toBe('pending');

    const second = busWith(subscriber('resume.probe'));
    await second.start();
    await eventually(async () => expect(await countEffects(db, 'resume.probe')).toBe(1));
    await second.stop();
  });

  it('delivers to every subscriber of an event, each once, with metadata carried along', async () => {
    const seen: string[] = [];
    const chained = subscribe('chain.probe', thingHappened, async (event, tx) => {
      seen.push(event.metadata.correlationId);
      await tx
        .insert(effects)
        .values({ subscriber: 'chain.probe', eventId: event.metadata.id, value: 1 });
      expect(contextFromEvent(event).causationId).toBe(event.metadata.id);
    });
    const bus = busWith(chained, recordEffect('chain.other'));
    await bus.start();
    const event = await db.transaction((tx) =>
      bus.publish(
        tx,
        thingHappened,
        { value: 9 },
        { correlationId: 'req-123', traceId: 'a'.repeat(32) },
      ),
    );
    await eventually(async () => {
      expect(await countEffects(db, 'chain.probe')).toBe(1);
      expect(await countEffects(db, 'chain.other')).toBe(1);
    });
    expect(seen).toEqual(['req-123']);
    expect(event.metadata).toMatchObject({
      correlationId: 'req-123',
      causationId: null,
      traceId: 'a'.repeat(32),
    });
    await bus.stop();
  });

  it('works through a backlog several deliveries at a time, each effect once', async () => {
    // Each handler waits (up to a second) for a second one to be running beside it.
    let inFlight = 0;
    let most = 0;
    let company = () => {};
    const overlapping = new Promise<void>((resolve) => {
      company = resolve;
    });
    const slow = subscribe('backlog.probe', thingHappened, async (event, tx) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      if (inFlight >= 2) company();
      await Promise.race([overlapping, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      await tx
        .insert(effects)
        .values({ subscriber: 'backlog.probe', eventId: event.metadata.id, value: 1 });
      inFlight -= 1;
    });
    const bus = busWith(slow);
    await db.transaction(async (tx) => {
      for (let value = 0; value < 6; value++) await bus.publish(tx, thingHappened, { value });
    });
    await bus.start();
    await eventually(async () => expect(await countEffects(db, 'backlog.probe')).toBe(6));
    expect(most).toBeGreaterThanOrEqual(2);
    await bus.stop();
  });
});
