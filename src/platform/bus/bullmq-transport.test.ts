import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { eq, inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import {
  countEffects,
  createProbeTable,
  effectCounts,
  effects,
  recordEffect,
  thingHappened,
} from '../../../test/support/probe.ts';
import { startPrivateRedis } from '../../../test/support/redis-server.ts';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../../test/support/services.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { createHttpApp } from '../http/create-app.ts';
import { createMetrics } from '../metrics.ts';
import { eventAdminRoutes } from './admin-routes.ts';
import { createEventBus, type EventBus, type EventBusOptions } from './event-bus.ts';
import { deliveries, inbox, outbox } from './schema.ts';
import { type Subscription, subscribe } from './subscription.ts';

const logger = pino({ level: 'silent' });
let db: Database;
let databaseUrl: string;
let cleanupDb: () => Promise<void>;
let redis: TestRedis;
const running: EventBus[] = [];

beforeAll(async () => {
  const test = await openMigratedTestDatabase('bullmq_bus');
  db = test.handle.db;
  databaseUrl = test.url;
  cleanupDb = test.cleanup;
  await createProbeTable(db);
  redis = createTestRedis('bullmq_bus');
});

// Every bus relays the whole outbox, so one left running would hand later tests' events to the
// subscribers it knows only.
afterEach(async () => {
  await Promise.all(running.splice(0).map((bus) => bus.stop()));
});

afterAll(async () => {
  await redis.cleanup();
  await cleanupDb();
});

type BusOptions = Partial<Omit<EventBusOptions, 'logger'>>;

/** A bus as one process would have it: its own Redis connection, the shared prefix. */
function processBus(subscriptions: Subscription[], options: BusOptions = {}): EventBus {
  const bus = createEventBus({
    db,
    logger,
    redis: { client: redis.connect(), prefix: redis.prefix },
    maxAttempts: 3,
    retryBaseMs: 20,
    pollIntervalMs: 30,
    ...options,
  });
  bus.subscribe(...subscriptions);
  running.push(bus);
  return bus;
}

const queueOf = (subscriber: string, prefix = redis.prefix, connection = redis.connect()) =>
  new Queue(`events.${subscriber}`, { connection, prefix: `${prefix}:bull` });

const publishMany = (bus: EventBus, count: number) =>
  db.transaction(async (tx) => {
    const ids: string[] = [];
    for (let value = 0; value < count; value++) {
      ids.push((await bus.publish(tx, thingHappened, { value })).metadata.id);
    }
    return ids;
  });

/** Each of `ids` had exactly one effect for `subscriber`, and nothing else did. */
async function expectOnceEach(subscriber: string, ids: string[]) {
  const counts = await effectCounts(db, subscriber);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
}

const thing = thingHappened.name;

/** The event bus's admin API as the monolith serves it, with an admin's token. */
function adminApp(bus: EventBus) {
  const tokens = testAccessTokens();
  const app = createHttpApp({
    logger,
    metrics: createMetrics('test'),
    bodyLimitBytes: 1_000_000,
    authenticate: tokens.authenticate,
  });
  app.route('/admin/events', eventAdminRoutes(bus));
  return {
    async replay(eventId: string, subscriber: string) {
      const token = await tokens.tokenFor(['admin']);
      return app.request(`/admin/events/dead/${eventId}/${subscriber}/replay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    },
  };
}

/** The test database through a fault proxy, as a consumer process that loses it sees it. */
async function databaseBehindProxy() {
  const target = new URL(databaseUrl);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  const consumerDb = await openDatabase({
    url: proxy.via(databaseUrl),
    dataDir: '',
    name: 'consumer',
    timeouts: { statementMs: 1_000, connectMs: 1_000 },
  });
  return { proxy, consumerDb };
}

describe('event bus over BullMQ (Redis + PostgreSQL)', () => {
  it('two processes sharing Redis each deliver to their own subscribers exactly once in effect', async () => {
    // Each knows the other's subscribers from its configuration, not from Redis.
    const orders = processBus([recordEffect('orders.on_thing')], {
      remoteSubscribers: { [thing]: ['mailer.on_thing'] },
    });
    const mailer = processBus([recordEffect('mailer.on_thing')], {
      remoteSubscribers: { [thing]: ['orders.on_thing'] },
    });
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
    await sleep(300);
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
    const bus = processBus([flaky]);
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

  it('retries when the delivery record says it will', async () => {
    const retriedAt = new Map<string, number>();
    const failedOnce = new Set<string>();
    const flaky = subscribe('timed.on_thing', thingHappened, async (event, tx) => {
      if (!failedOnce.has(event.metadata.id)) {
        failedOnce.add(event.metadata.id);
        throw new Error('not yet');
      }
      retriedAt.set(event.metadata.id, Date.now());
      await tx
        .insert(effects)
        .values({ subscriber: 'timed.on_thing', eventId: event.metadata.id, value: 1 });
    });
    // A first retry waits 1 to 2 s, drawn at random: long enough to tell draws apart.
    const bus = processBus([flaky], { retryBaseMs: 2_000 });
    await bus.start();
    const ids = await publishMany(bus, 3);
    await eventually(() => expectOnceEach('timed.on_thing', ids));
    const records = await db.select().from(deliveries).where(inArray(deliveries.eventId, ids));
    // The record's next_attempt_at is when BullMQ ran the retry: not before, and not much later.
    const lateness = records.map(
      (row) => (retriedAt.get(row.eventId) ?? 0) - row.nextAttemptAt.getTime(),
    );
    expect(lateness).toHaveLength(3);
    for (const ms of lateness) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(500);
    }
  });

  it('parks a delivery as dead after the last attempt and replays it', async () => {
    let healthy = false;
    const fragile = subscribe('fragile.on_thing', thingHappened, async (event, tx) => {
      if (!healthy) throw new Error('broken');
      await tx
        .insert(effects)
        .values({ subscriber: 'fragile.on_thing', eventId: event.metadata.id, value: 1 });
    });
    const bus = processBus([fragile]);
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

  it('leaves a delivery dead, to replay again, when its replay meets a Redis outage (503)', async () => {
    const target = new URL(redis.url);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    const client = new Redis(proxy.via(redis.url), {
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
    });
    client.on('error', () => {});
    let healthy = false;
    const subscriber = 'replay_cut.on_thing';
    const fragile = subscribe(subscriber, thingHappened, async (event, tx) => {
      if (!healthy) throw new Error('broken');
      await tx.insert(effects).values({ subscriber, eventId: event.metadata.id, value: 1 });
    });
    try {
      const bus = processBus([fragile], {
        redis: { client, prefix: redis.prefix },
        redisTimeoutMs: 300,
      });
      await bus.start();
      const admin = adminApp(bus);
      const [id] = await publishMany(bus, 1);
      const isDead = async () =>
        (await bus.deadDeliveries()).some((d) => d.eventId === id && d.subscriber === subscriber);
      await eventually(async () => expect(await isDead()).toBe(true));
      healthy = true;

      await proxy.cut();
      const refused = await admin.replay(id!, subscriber);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await isDead()).toBe(true);

      await proxy.restore();
      // Once Redis answers again (the relay's connection reconnects), the replay goes through.
      const accepted = await eventually(async () => {
        const response = await admin.replay(id!, subscriber);
        expect(response.status).toBe(202);
        return response;
      });
      expect(await accepted.json()).toEqual({ status: 'pending' });
      await eventually(() => expectOnceEach(subscriber, [id!]));
      expect(await isDead()).toBe(false);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('finishes the job in flight at shutdown and leaves nothing active or stalled', async () => {
    const bus = processBus([recordEffect('slow.on_thing', 400)]);
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
    const publisher = processBus([], { remoteSubscribers: { [thing]: ['late.on_thing'] } });
    await publisher.start();
    await db.transaction((tx) => publisher.publish(tx, thingHappened, { value: 1 }));
    const queue = queueOf('late.on_thing');
    await eventually(async () => expect((await queue.getJobCounts('wait')).wait).toBe(1));
    expect(await countEffects(db, 'late.on_thing')).toBe(0);

    const consumer = processBus([recordEffect('late.on_thing')]);
    await consumer.start();
    await eventually(async () => expect(await countEffects(db, 'late.on_thing')).toBe(1));
    await queue.close();
  });

  it('keeps delivering every later event after Redis lost its data', async () => {
    const bus = processBus([recordEffect('amnesia.one'), recordEffect('amnesia.two')]);
    await bus.start();
    const [first] = await publishMany(bus, 1);
    await eventually(async () => {
      expect(await countEffects(db, 'amnesia.one')).toBe(1);
      expect(await countEffects(db, 'amnesia.two')).toBe(1);
    });

    await redis.flush();
    const later = await publishMany(bus, 3);
    await eventually(async () => {
      await expectOnceEach('amnesia.one', [first!, ...later]);
      await expectOnceEach('amnesia.two', [first!, ...later]);
    });
  });

  it('relays again, once Redis is back empty, the events whose jobs went with it', async () => {
    // One subscriber settles each event at once; one fails its first attempt and waits for a
    // retry (a delayed job); one lives in a process that is down, so its jobs wait in Redis.
    const failedOnce = new Set<string>();
    const retrying = subscribe('recover.retrying', thingHappened, async (event, tx) => {
      if (!failedOnce.has(event.metadata.id)) {
        failedOnce.add(event.metadata.id);
        throw new Error('not yet');
      }
      await tx
        .insert(effects)
        .values({ subscriber: 'recover.retrying', eventId: event.metadata.id, value: 1 });
    });
    const publisher = processBus([recordEffect('recover.settled'), retrying], {
      remoteSubscribers: { [thing]: ['recover.backlog'] },
      retryBaseMs: 60_000,
    });
    await publisher.start();
    const ids = await publishMany(publisher, 3);
    const backlog = queueOf('recover.backlog');
    await eventually(async () => {
      await expectOnceEach('recover.settled', ids);
      expect((await backlog.getJobCounts('wait')).wait).toBe(3);
      const retries = await db
        .select()
        .from(deliveries)
        .where(inArray(deliveries.eventId, ids))
        .then((rows) => rows.filter((row) => row.subscriber === 'recover.retrying'));
      expect(retries.map((row) => row.status)).toEqual(['pending', 'pending', 'pending']);
    });

    await redis.flush();
    const consumer = processBus([recordEffect('recover.backlog')], {
      remoteSubscribers: { [thing]: ['recover.settled', 'recover.retrying'] },
    });
    await consumer.start();
    await eventually(async () => {
      await expectOnceEach('recover.backlog', ids);
      await expectOnceEach('recover.retrying', ids);
    });
    // A settled delivery is not sent again: its queue got no new job.
    const settled = queueOf('recover.settled');
    expect(await settled.getJobCounts('completed', 'wait', 'active', 'delayed')).toEqual({
      completed: 0,
      wait: 0,
      active: 0,
      delayed: 0,
    });
    await expectOnceEach('recover.settled', ids);
    await Promise.all([backlog.close(), settled.close()]);
  });

  it('delivers every event of a stream once in effect across a Redis restart without its data', async () => {
    const server = await startPrivateRedis();
    const prefix = `${redis.prefix}_private`;
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    client.on('error', () => {});
    try {
      // The slow subscriber has a backlog in Redis when it goes.
      const bus = processBus([recordEffect('stream.fast'), recordEffect('stream.slow', 60)], {
        redis: { client, prefix },
        redisTimeoutMs: 500,
      });
      await bus.start();
      const ids: string[] = [];
      const publishOne = async (value: number) => {
        const event = await db.transaction((tx) => bus.publish(tx, thingHappened, { value }));
        ids.push(event.metadata.id);
      };
      for (let value = 0; value < 40; value++) {
        await publishOne(value);
        await sleep(10);
      }
      await server.kill();
      for (let value = 40; value < 50; value++) {
        await publishOne(value);
        await sleep(10);
      }
      await server.start();
      for (let value = 50; value < 80; value++) {
        await publishOne(value);
        await sleep(10);
      }
      await eventually(
        async () => {
          await expectOnceEach('stream.fast', ids);
          await expectOnceEach('stream.slow', ids);
        },
        { timeoutMs: 45_000, intervalMs: 200 },
      );
      await bus.stop();
    } finally {
      client.disconnect();
      await server.stop();
    }
  }, 90_000);

  it('holds events in the outbox while Redis is cut, reports it in readiness, and delivers them after', async () => {
    const target = new URL(redis.url);
    const proxy: FaultProxy = await startFaultProxy({
      host: target.hostname,
      port: Number(target.port || 6379),
    });
    const client = new Redis(proxy.via(redis.url), {
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
    });
    client.on('error', () => {});
    try {
      const bus = processBus([recordEffect('cut.on_thing')], {
        redis: { client, prefix: redis.prefix },
        redisTimeoutMs: 300,
        relayStallMs: 600,
      });
      await bus.start();
      await bus.checkRelay();

      await proxy.cut();
      const ids = await publishMany(bus, 3);
      await sleep(900);
      const rows = await db.select().from(outbox).where(inArray(outbox.id, ids));
      expect(rows.map((row) => row.dispatchedAt)).toEqual([null, null, null]);
      await expect(bus.checkRelay()).rejects.toThrow(/has not finished a run|has waited/);
      expect(await countEffects(db, 'cut.on_thing')).toBe(0);

      await proxy.restore();
      await eventually(() => expectOnceEach('cut.on_thing', ids));
      await eventually(() => bus.checkRelay());
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('hands the jobs of a worker killed with SIGKILL to another worker within seconds', async () => {
    const subscriber = 'killed.on_thing';
    const child = spawn(
      process.execPath,
      ['test/support/blocking-bus-process.ts', databaseUrl, redis.url, redis.prefix, subscriber],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.on('exit', () => reject(new Error('the worker process exited before ready')));
      });
      const publisher = processBus([], { remoteSubscribers: { [thing]: [subscriber] } });
      await publisher.start();
      const ids = await publishMany(publisher, 4);
      const queue = queueOf(subscriber);
      await eventually(async () => expect((await queue.getJobCounts('active')).active).toBe(4));

      child.kill('SIGKILL');
      await exited;
      const killedAt = performance.now();
      const takeover = processBus([recordEffect(subscriber)]);
      await takeover.start();
      await eventually(() => expectOnceEach(subscriber, ids), { timeoutMs: 30_000 });
      const tookMs = performance.now() - killedAt;
      // The lock lapses 2 to 4 s after the kill, the next stalled check (every 2 s) moves the
      // jobs on: 6 s at most, plus slack for a loaded machine. BullMQ's defaults take 30 to 90 s.
      expect(tookMs).toBeLessThan(10_000);
      await queue.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('delivers every event once after PostgreSQL was away longer than the whole attempt budget', async () => {
    const subscriber = 'pg_outage.on_thing';
    const { proxy, consumerDb } = await databaseBehindProxy();
    const queue = queueOf(subscriber);
    try {
      // Three attempts 20 ms apart: without a pause for the outage they are spent in well under
      // a second.
      const consumer = processBus([recordEffect(subscriber)], { db: consumerDb.db });
      await consumer.start();
      await proxy.cut();
      const publisher = processBus([], { remoteSubscribers: { [thing]: [subscriber] } });
      await publisher.start();
      const ids = await publishMany(publisher, 5);
      await eventually(async () => {
        const rows = await db.select().from(outbox).where(inArray(outbox.id, ids));
        expect(rows.every((row) => row.dispatchedAt !== null)).toBe(true);
      });
      // The outage lasts until the jobs taken up were tried more often than their three attempts
      // allow (or, where each try spends one, until BullMQ gave up on them). A paused job goes
      // back to the head of the queue, so the fifth may not have been tried at all.
      await eventually(
        async () => {
          const jobs = await queue.getJobs(['wait', 'active', 'delayed', 'failed']);
          const tried = jobs.filter((job) => job.attemptsStarted > 0);
          expect(tried.length).toBeGreaterThanOrEqual(4);
          expect(tried.every((job) => job.finishedOn || job.attemptsStarted > 3)).toBe(true);
        },
        { timeoutMs: 20_000 },
      );
      expect(await countEffects(db, subscriber)).toBe(0);

      await proxy.restore();
      await eventually(() => expectOnceEach(subscriber, ids), { timeoutMs: 20_000 });
      expect(await queue.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: 5 });
      // The outage spent no attempt: each job completed at its first, and no failure was
      // recorded (a first try that succeeds leaves no delivery record, only its inbox row).
      const completed = await queue.getJobs(['completed']);
      expect(completed.map((job) => job.attemptsMade)).toEqual(ids.map(() => 1));
      const records = await db.select().from(deliveries).where(inArray(deliveries.eventId, ids));
      expect(records).toEqual([]);
    } finally {
      await queue.close();
      await proxy.close();
      await consumerDb.close().catch(() => {});
    }
  }, 40_000);

  it('fails a last attempt only once its dead record is written', async () => {
    const subscriber = 'pg_last_attempt.on_thing';
    const { proxy, consumerDb } = await databaseBehindProxy();
    const queue = queueOf(subscriber);
    let calls = 0;
    let cutAt = 0;
    const refusing = subscribe(subscriber, thingHappened, async () => {
      calls += 1;
      // The database goes as the last attempt fails: its dead record cannot be written then.
      if (calls === 3) {
        await proxy.cut();
        cutAt = performance.now();
      }
      throw new Error('refused');
    });
    try {
      const consumer = processBus([refusing], { db: consumerDb.db });
      await consumer.start();
      const [id] = await publishMany(consumer, 1);
      await eventually(() => expect(cutAt).toBeGreaterThan(0));
      // Long enough for BullMQ to have failed the job had the attempt counted.
      await sleep(500);
      await proxy.restore();

      await eventually(async () =>
        expect(await consumer.deadDeliveries()).toContainEqual(
          expect.objectContaining({ eventId: id, subscriber, attempts: 3, lastError: 'refused' }),
        ),
      );
      await eventually(async () => expect((await queue.getJobCounts('failed')).failed).toBe(1));
      // The last attempt ran again once its outcome could be recorded.
      expect(calls).toBe(4);
    } finally {
      await queue.close();
      await proxy.close();
      await consumerDb.close().catch(() => {});
    }
  });

  it('records a failure whose message PostgreSQL cannot store as it is (a NUL in it)', async () => {
    const subscriber = 'nul_error.on_thing';
    const failing = subscribe(subscriber, thingHappened, async () => {
      throw new Error('bad\u0000byte');
    });
    const bus = processBus([failing]);
    await bus.start();
    const [id] = await publishMany(bus, 1);
    await eventually(async () =>
      expect(await bus.deadDeliveries()).toContainEqual(
        expect.objectContaining({ eventId: id, subscriber, attempts: 3, lastError: 'badbyte' }),
      ),
    );
  });

  it('records a job BullMQ fails for stalling too often as a dead delivery', async () => {
    const subscriber = 'stalled.on_thing';
    const publisher = processBus([], { remoteSubscribers: { [thing]: [subscriber] } });
    await publisher.start();
    const [id] = await publishMany(publisher, 1);
    const queue = queueOf(subscriber);
    await eventually(async () => expect((await queue.getJobCounts('wait')).wait).toBe(1));
    // What BullMQ's stalled check writes on a job that stalled more than maxStalledCount times
    // (moveStalledJobsToWait.lua); the next worker to take it fails it without running it.
    const client = redis.connect();
    await client.hset(
      `${redis.prefix}:bull:events.${subscriber}:${id}_${subscriber}`,
      'defa',
      'job stalled more than allowable limit',
    );
    const consumer = processBus([recordEffect(subscriber)]);
    await consumer.start();
    await eventually(async () =>
      expect(await consumer.deadDeliveries()).toContainEqual(
        expect.objectContaining({
          eventId: id,
          subscriber,
          lastError: 'job stalled more than allowable limit',
        }),
      ),
    );
    expect(await countEffects(db, subscriber)).toBe(0);
    await queue.close();
  });
});

describe('deliveries that pile up go together (group commit)', () => {
  /** The transactions that claimed the subscriber's inbox rows: one per batch. */
  const deliveringTransactions = async (subscriber: string) => {
    const [row] = await db
      .select({ n: sql<number>`count(distinct ${inbox}.xmin::text)::int` })
      .from(inbox)
      .where(eq(inbox.consumer, subscriber));
    return row?.n;
  };

  /** A subscriber that takes a while (so a backlog piles up behind it), noting each call's transaction. */
  function slowSubscriber(subscriber: string, fails?: (value: number, call: number) => boolean) {
    const calls: Array<{ value: number; transaction: string; failed: boolean }> = [];
    const subscription = subscribe(subscriber, thingHappened, async (event, tx) => {
      const [row] = await tx
        .select({ id: sql<string>`pg_current_xact_id()::text` })
        .from(sql`(values (1)) as one (x)`);
      await sleep(40);
      const { value } = event.payload;
      const failed = fails?.(value, calls.filter((call) => call.value === value).length) ?? false;
      calls.push({ value, transaction: row?.id ?? '', failed });
      if (failed) throw new Error(`value ${value} fails`);
      await tx.insert(effects).values({ subscriber, eventId: event.metadata.id, value });
    });
    return { subscription, calls };
  }

  /** Twelve events published before a slow subscriber starts, once they are all handled. */
  async function deliveredBacklog(
    subscriber: string,
    fails?: (value: number, call: number) => boolean,
  ) {
    const { subscription, calls } = slowSubscriber(subscriber, fails);
    const bus = processBus([subscription]);
    const ids = await publishMany(bus, 12);
    await bus.start();
    await eventually(() => expectOnceEach(subscriber, ids));
    return { ids, calls };
  }

  it('delivers a backlog in fewer transactions than events, each event once', async () => {
    const subscriber = 'grouped.on_thing';
    const { ids } = await deliveredBacklog(subscriber);
    const transactions = await deliveringTransactions(subscriber);
    expect(transactions).toBeLessThan(12);
    // A first try that succeeds leaves no delivery record, batched or not.
    expect(await db.select().from(deliveries).where(inArray(deliveries.eventId, ids))).toEqual([]);
  });

  it('claims the events of a batch in one statement', async () => {
    const subscriber = 'grouped_claims.on_thing';
    await deliveredBacklog(subscriber);
    // Rows a statement writes share its transaction (xmin) and its command id in it (cmin).
    const [row] = await db
      .select({
        statements: sql<number>`count(distinct (${inbox}.xmin::text, ${inbox}.cmin::text))::int`,
      })
      .from(inbox)
      .where(eq(inbox.consumer, subscriber));
    const transactions = await deliveringTransactions(subscriber);
    expect(transactions).toBeLessThan(12);
    expect(row?.statements).toBe(transactions);
  });

  it('spends an attempt only of the delivery whose handler failed in a batch; the rest go through at once', async () => {
    const subscriber = 'grouped_failing.on_thing';
    // The event of value 5 fails its first call only.
    const { ids, calls } = await deliveredBacklog(
      subscriber,
      (value, call) => value === 5 && call === 0,
    );
    const failure = calls.find((call) => call.failed);
    // It failed inside a batch: another event's handler ran in the same transaction.
    expect(
      calls.some((call) => call.value !== 5 && call.transaction === failure?.transaction),
    ).toBe(true);
    const records = await db
      .select({
        eventId: deliveries.eventId,
        status: deliveries.status,
        attempts: deliveries.attempts,
      })
      .from(deliveries)
      .where(inArray(deliveries.eventId, ids));
    // Only its delivery has a record: its failed first attempt, then its second, delivered.
    expect(records).toEqual([{ eventId: ids[5], status: 'delivered', attempts: 2 }]);
  });
});
