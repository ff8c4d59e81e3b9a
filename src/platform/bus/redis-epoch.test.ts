import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { eq, inArray, isNull, sql } from 'drizzle-orm';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createProbeTable,
  effectCounts,
  recordEffect,
  thingHappened,
} from '../../../test/support/probe.ts';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../../test/support/services.ts';
import { type Database, type DatabaseHandle, openDatabase } from '../db/database.ts';
import { createEventBus, type EventBus } from './event-bus.ts';
import { adoptRedisEpoch, type ReopenStep, reopenLostEvents } from './redis-epoch.ts';
import { busEpochs, deliveries, inbox, outbox } from './schema.ts';

const logger = pino({ level: 'silent' });
let db: Database;
let url: string;
let cleanupDb: () => Promise<void>;
/** For building large outboxes: no statement timeout. */
let bulk: postgres.Sql;
let redis: TestRedis;
const running: EventBus[] = [];

beforeAll(async () => {
  const test = await openMigratedTestDatabase('redis_epoch');
  db = test.handle.db;
  url = test.url;
  cleanupDb = test.cleanup;
  await createProbeTable(db);
  bulk = postgres(url, { max: 1, onnotice: () => {} });
  redis = createTestRedis('redis_epoch');
});
beforeEach(async () => {
  await db.execute(
    sql`truncate platform.outbox, platform.event_deliveries, platform.inbox, platform.bus_epochs`,
  );
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop()));
});
afterAll(async () => {
  await redis.cleanup();
  await bulk.end();
  await cleanupDb();
});

/**
 * `count` events dispatched through Redis under `epoch` to `handedTo`, each delivered to all of
 * them: the outbox a busy system keeps for its retention window. They have no effect rows, so a
 * redelivery of any of them would show in the effects table.
 */
async function keepSettledEvents(count: number, epoch: string, handedTo: string[]) {
  await bulk`
    with kept as (
      insert into platform.outbox (id, name, version, payload, metadata, dispatched_at, redis_epoch, handed_to)
      select gen_random_uuid(), ${thingHappened.name}, 1, '{"value": 0}', '{}', now(), ${epoch}, ${handedTo}
      from generate_series(1, ${count})
      returning id, name
    )
    insert into platform.event_deliveries (event_id, subscriber, event_name, envelope, status, attempts, delivered_at)
    select kept.id, s, kept.name, '{}', 'delivered', 1, now() from kept, unnest(${handedTo}::text[]) s`;
  await bulk`analyze platform.outbox`;
  await bulk`analyze platform.event_deliveries`;
}

describe('the re-open after Redis lost its data', () => {
  it('goes through the outbox a bounded batch per statement and re-opens exactly the events owed', async () => {
    const subscribers = ['a.sub', 'b.sub'];
    await db.insert(busEpochs).values({ prefix: 'unit', epoch: 'old' });
    await keepSettledEvents(2_500, 'old', subscribers);
    // Thirty events whose b.sub delivery is waiting for a retry, never ran, or is dead, and ten
    // that b.sub handled at its first try, which leaves an inbox row and no delivery record.
    const kept = await db.select({ id: outbox.id }).from(outbox).limit(40);
    const [retrying, lost, dead, handled] = [0, 10, 20, 30].map((from) =>
      kept.slice(from, from + 10).map((row) => row.id),
    );
    await db
      .delete(deliveries)
      .where(sql`${deliveries.subscriber} = 'b.sub' and ${inArray(deliveries.eventId, handled!)}`);
    await db.insert(inbox).values(handled!.map((eventId) => ({ consumer: 'b.sub', eventId })));
    await db
      .update(deliveries)
      .set({ status: 'pending' })
      .where(sql`${deliveries.subscriber} = 'b.sub' and ${inArray(deliveries.eventId, retrying!)}`);
    await db
      .delete(deliveries)
      .where(sql`${deliveries.subscriber} = 'b.sub' and ${inArray(deliveries.eventId, lost!)}`);
    await db
      .update(deliveries)
      .set({ status: 'dead' })
      .where(sql`${deliveries.subscriber} = 'b.sub' and ${inArray(deliveries.eventId, dead!)}`);
    // Handed over under the new epoch already, and not yet handed over: neither is re-opened.
    const event = () => {
      const id = randomUUID();
      const metadata = {
        id,
        occurredAt: new Date().toISOString(),
        correlationId: id,
        causationId: null,
        traceId: 'a'.repeat(32),
      };
      return { id, name: thingHappened.name, version: 1, payload: { value: 1 }, metadata };
    };
    await db
      .insert(outbox)
      .values([
        { ...event(), dispatchedAt: new Date(), redisEpoch: 'new', handedTo: subscribers },
        event(),
      ]);

    expect(await adoptRedisEpoch(db, 'unit', 'new')).toEqual({ replaced: 'old', reopening: true });
    const steps: ReopenStep[] = [];
    for (let step = await reopenLostEvents(db, 'unit', 'new', 1_000); ; ) {
      steps.push(step);
      if (step.done) break;
      step = await reopenLostEvents(db, 'unit', 'new', 1_000);
    }
    // 2,502 rows: three statements of at most 1,000 rows each, then one that finds none left.
    expect(steps.map((step) => step.examined)).toEqual([1_000, 1_000, 502, 0]);
    expect(steps.reduce((sum, step) => sum + step.reopened, 0)).toBe(20);
    const reopened = await db
      .select({ id: outbox.id })
      .from(outbox)
      .where(sql`${isNull(outbox.dispatchedAt)} and ${outbox.redisEpoch} = 'old'`);
    expect(reopened.map((row) => row.id).sort()).toEqual([...retrying!, ...lost!].sort());
    const [epoch] = await db.select().from(busEpochs).where(eq(busEpochs.prefix, 'unit'));
    expect(epoch).toMatchObject({ epoch: 'new', reopening: false, reopenedUpTo: null });
    expect(await adoptRedisEpoch(db, 'unit', 'new')).toEqual({
      replaced: undefined,
      reopening: false,
    });
  });

  it('recovers a Redis data loss with an outbox far larger than one statement may go through', async () => {
    // Statements here are cancelled after 200 ms, as DATABASE_STATEMENT_TIMEOUT_MS would cancel
    // a re-open of millions of events in one statement.
    const short: DatabaseHandle = await openDatabase({
      url,
      dataDir: '',
      name: 'short_statements',
      timeouts: { statementMs: 200, connectMs: 5_000 },
    });
    const subscribers = ['big.one', 'big.two'];
    const bus = (options: Parameters<typeof createEventBus>[0]) => {
      const created = createEventBus(options);
      running.push(created);
      return created;
    };
    const queues = subscribers.map(
      (name) =>
        new Queue(`events.${name}`, {
          connection: redis.connect(),
          prefix: `${redis.prefix}:bull`,
        }),
    );
    try {
      // Ten events queued for subscribers that are down: their jobs are only in Redis.
      const publisher = bus({
        db: short.db,
        logger,
        redis: { client: redis.connect(), prefix: redis.prefix },
        remoteSubscribers: { [thingHappened.name]: subscribers },
        maxAttempts: 3,
        retryBaseMs: 20,
        pollIntervalMs: 30,
      });
      await publisher.start();
      const ids = await short.db.transaction(async (tx) => {
        const published: string[] = [];
        for (let value = 1; value <= 10; value++) {
          published.push((await publisher.publish(tx, thingHappened, { value })).metadata.id);
        }
        return published;
      });
      await eventually(async () => {
        for (const queue of queues) expect((await queue.getJobCounts('wait')).wait).toBe(10);
      });
      await publisher.stop();
      const [known] = await db.select().from(busEpochs).where(eq(busEpochs.prefix, redis.prefix));
      await keepSettledEvents(60_000, known!.epoch, subscribers);
      // The premise: one statement over every kept event outlasts the statement timeout.
      await expect(
        short.db.execute(sql`
          select count(*) from platform.outbox o
          where exists (select 1 from unnest(o.handed_to) owed(s) where not exists (
            select 1 from platform.event_deliveries d
            where d.event_id = o.id and d.subscriber = owed.s and d.status in ('delivered', 'dead')))`),
      ).rejects.toThrow();

      await redis.flush();
      const consumer = bus({
        db: short.db,
        logger,
        redis: { client: redis.connect(), prefix: redis.prefix },
        maxAttempts: 3,
        retryBaseMs: 20,
        pollIntervalMs: 30,
        reopenBatch: 2_000,
      });
      consumer.subscribe(...subscribers.map(recordEffect));
      await consumer.start();

      // Each of the ten once, and none of the 60,000 settled ones again.
      await eventually(
        async () => {
          for (const subscriber of subscribers) {
            const counts = await effectCounts(db, subscriber);
            expect([...counts.keys()].sort()).toEqual([...ids].sort());
            expect([...counts.values()].every((n) => n === 1)).toBe(true);
          }
        },
        { timeoutMs: 30_000 },
      );
      await eventually(async () => {
        const [epoch] = await db.select().from(busEpochs).where(eq(busEpochs.prefix, redis.prefix));
        expect(epoch?.reopening).toBe(false);
      });
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
      await Promise.all(running.splice(0).map((b) => b.stop()));
      await short.close();
    }
  }, 60_000);
});
