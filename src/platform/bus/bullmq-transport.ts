import { type Job, Queue, Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { postgresErrorCode } from '../db/errors.ts';
import { settlesWithin, withDeadline } from '../resilience/deadline.ts';
import { isInfrastructureError } from '../resilience/infrastructure-error.ts';
import { retryDelayMs } from './backoff.ts';
import {
  claimDeliveries,
  claimDelivery,
  type DeliveryOutcome,
  deliverySettled,
  recordFailure,
  reviveDeadDelivery,
} from './delivery-log.ts';
import { type EventEnvelope, eventEnvelopeSchema } from './event-contract.ts';
import { groupCommit, type Waiting } from './group-commit.ts';
import {
  adoptRedisEpoch,
  epochKey,
  REOPEN_BATCH,
  readRedisEpoch,
  reopenLostEvents,
} from './redis-epoch.ts';
import { consumeOnce, ownEventsGoTo, type Subscription } from './subscription.ts';
import type { ClaimedEvent, Transport } from './transport.ts';

/** Subscribers in other processes, by event name: the relay queues their jobs too. */
export type RemoteSubscribers = Readonly<Record<string, readonly string[]>>;

export interface BullmqTransportOptions {
  db: Database;
  /** Needs `maxRetriesPerRequest: null` (workers block on it). */
  redis: Redis;
  /** Key prefix for everything this bus keeps in Redis. */
  prefix: string;
  subscriptions: Subscription[];
  remoteSubscribers?: RemoteSubscribers | undefined;
  logger: Logger;
  maxAttempts: number;
  retryBaseMs: number;
  /**
   * Jobs a subscriber's worker holds at once (16): under load they are the batches of
   * deliverBatch, so more of them means fewer transactions per event.
   */
  concurrency?: number;
  /**
   * How long a worker's lock on an active job lasts (renewed at half of it). A worker that dies
   * loses its jobs to another one within about 1.5 times this (see the Worker options below).
   */
  jobLockMs?: number;
  /** Bound on each of the relay's calls to Redis. */
  redisTimeoutMs?: number;
  /** Outbox rows per re-open statement after Redis lost its data (see redis-epoch.ts). */
  reopenBatch?: number;
}

const queueName = (subscriber: string) => `events.${subscriber}`;
// BullMQ refuses ':' in custom ids; the id makes a re-relayed event a no-op while the job is kept.
const jobId = (eventId: string, subscriber: string) => `${eventId}_${subscriber}`;

/** How long a relay run re-opens events lost with Redis's data before it relays again. */
const REOPEN_RUN_MS = 1_000;

/** The longest a worker pauses while the database (or whatever a handler needs) is away. */
const OUTAGE_PAUSE_MAX_MS = 2_000;

interface OutagePause {
  /** Pauses the queue a while; returns the error that puts the job back unspent. */
  pause(cause: unknown): Promise<Error>;
  /** A delivery's outcome was recorded: the outage, if any, is over. */
  over(): void;
}

/**
 * A handler's failure, recorded with the delay its retry waits: the worker's backoff strategy
 * hands that same delay to BullMQ, so the record's next_attempt_at is when the retry runs.
 */
class DeliveryFailed extends Error {
  readonly retryInMs: number;
  constructor(cause: unknown, retryInMs: number) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'DeliveryFailed';
    this.retryInMs = retryInMs;
  }
}

/** A batch's handler failed: the batch's transaction rolls back (see deliverBatch). */
class BatchFailed extends Error {}

/**
 * A handler's own failure in a batch, not one it met: statements that came after another
 * handler's failed statement find the transaction aborted (25P02), and an outage is no answer.
 */
const ownFailure = (error: unknown) =>
  postgresErrorCode(error) !== '25P02' && !isInfrastructureError(error);

/**
 * Delivery through Redis: every subscriber has a named queue, so subscribers in other processes
 * (workers, replicas, extracted services) receive events too. Who subscribes is a fact of the
 * code: the relay adds one job per (event, subscriber) for the subscriptions it was given and
 * the remote subscribers declared, whatever Redis remembers. Redis losing its data is noticed
 * by its epoch key (see redis-epoch.ts), and the events whose jobs went with it are relayed again.
 */
export function createBullmqTransport(options: BullmqTransportOptions): Transport {
  const { db, redis, prefix, subscriptions, logger, maxAttempts, retryBaseMs } = options;
  const redisTimeoutMs = options.redisTimeoutMs ?? 5_000;
  const jobLockMs = options.jobLockMs ?? 4_000;
  const bullPrefix = `${prefix}:bull`;
  const subscribersOf = new Map<string, string[]>();
  const addKnown = (event: string, subscriber: string) => {
    const list = subscribersOf.get(event) ?? [];
    if (!list.includes(subscriber)) subscribersOf.set(event, [...list, subscriber]);
  };
  for (const s of ownEventsGoTo(subscriptions)) addKnown(s.event.name, s.subscriber);
  for (const [event, names] of Object.entries(options.remoteSubscribers ?? {})) {
    for (const subscriber of names) addKnown(event, subscriber);
  }

  // The relay's own connection fails fast while Redis is away (no offline queue), so a run
  // ends with an error instead of waiting for a reconnect (BullMQ: "Failing fast when Redis is
  // down"). Workers keep the shared connection, which waits.
  const relayRedis = redis.duplicate({ enableOfflineQueue: false, lazyConnect: true });
  // Its errors reach the relay's calls; the shared connection already logs an outage.
  relayRedis.on('error', () => {});
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  /** The epoch this process last saw PostgreSQL agree with Redis on. */
  let confirmedEpoch: string | undefined;
  /** The events lost with an earlier epoch are still being re-opened (by any process). */
  let reopening = false;

  const queueFor = (subscriber: string) => {
    let queue = queues.get(subscriber);
    if (!queue) {
      queue = new Queue(queueName(subscriber), { connection: relayRedis, prefix: bullPrefix });
      queue.on('error', () => {}); // as relayRedis's
      queues.set(subscriber, queue);
    }
    return queue;
  };

  const jobOptions = (envelope: EventEnvelope, subscriber: string) => ({
    jobId: jobId(envelope.metadata.id, subscriber),
    attempts: maxAttempts,
    // The worker's backoffStrategy: the delay process() recorded (see DeliveryFailed).
    backoff: { type: 'delivery' },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    // Kept, so a dead job stays visible in Redis too; the delivery log is the source of truth.
    removeOnFail: { age: 7 * 24 * 3600 },
  });

  const bounded = <T>(work: Promise<T>, what: string) =>
    withDeadline(work, redisTimeoutMs, `redis: ${what}`);

  /**
   * Of these re-opened events' subscribers (`handedTo`), those whose delivery is already
   * settled (deliverySettled), as "id subscriber".
   */
  async function settledDeliveries(events: ClaimedEvent[]): Promise<Set<string>> {
    const owed = events.flatMap(({ envelope, handedTo }) =>
      (handedTo ?? []).map((subscriber) => ({ eventId: envelope.metadata.id, subscriber })),
    );
    if (owed.length === 0) return new Set();
    const rows = await db
      .select({ eventId: sql<string>`owed.event_id`, subscriber: sql<string>`owed.subscriber` })
      .from(
        sql`(values ${sql.join(
          owed.map((o) => sql`(${o.eventId}::uuid, ${o.subscriber})`),
          sql`, `,
        )}) as owed(event_id, subscriber)`,
      )
      .where(deliverySettled(sql`owed.event_id`, sql`owed.subscriber`));
    return new Set(rows.map((row) => `${row.eventId} ${row.subscriber}`));
  }

  /**
   * One attempt at a delivery. An attempt counts (is spent) only once its outcome is recorded:
   * while the database is away neither the handler's transaction nor the failure record can be
   * written, and spending attempts on that would fail the job in BullMQ with no record of it
   * (not dead, not replayable) once the outage outlasts the budget. So an infrastructure error,
   * or a failure that could not be recorded, pauses the queue and puts the job back without
   * spending an attempt; a last attempt fails only once its dead record is written.
   */
  async function process(subscription: Subscription, job: Job, outage: OutagePause) {
    const envelope = eventEnvelopeSchema.parse(job.data) as EventEnvelope;
    const outcome = outcomeOf(subscription, job, envelope);
    try {
      // The inbox claim settles any delivery record with it: if the handler fails, both roll back.
      await db.transaction((tx) =>
        consumeOnce(tx, subscription, envelope, (inner) => claimDelivery(inner, outcome)),
      );
    } catch (error) {
      return failAttempt(job, outcome, error, outage);
    }
    outage.over();
  }

  const outcomeOf = (subscription: Subscription, job: Job, envelope: EventEnvelope) => ({
    envelope,
    subscriber: subscription.subscriber,
    attempts: job.attemptsMade + 1,
  });

  /** The attempt failed: recorded and spent, or (an outage) put back unspent. */
  async function failAttempt(
    job: Job,
    outcome: DeliveryOutcome,
    failure: unknown,
    outage: OutagePause,
  ): Promise<never> {
    if (isInfrastructureError(failure)) throw await outage.pause(failure);
    const retryInMs = retryDelayMs(outcome.attempts, retryBaseMs);
    try {
      await recordFailure(db, {
        ...outcome,
        error: failure instanceof Error ? failure.message : String(failure),
        dead: outcome.attempts >= (job.opts.attempts ?? 1),
        nextAttemptAt: new Date(Date.now() + retryInMs),
      });
    } catch (recordError) {
      throw await outage.pause(recordError);
    }
    outage.over();
    throw new DeliveryFailed(failure, retryInMs);
  }

  /**
   * The deliveries that piled up while the subscriber's last batch ran, in ONE transaction:
   * BEGIN and COMMIT shared, each event still claimed by its own inbox row (see groupCommit).
   * A batch of one, and a job that is no envelope, go through `process` on their own.
   */
  async function deliverBatch(
    subscription: Subscription,
    batch: Waiting<Job>[],
    outage: OutagePause,
  ): Promise<void> {
    const alone = (waiting: Waiting<Job>) =>
      process(subscription, waiting.item, outage).then(waiting.resolve, waiting.reject);
    const together: Array<{ waiting: Waiting<Job>; outcome: DeliveryOutcome }> = [];
    const strays: Waiting<Job>[] = [];
    for (const waiting of batch) {
      const envelope = eventEnvelopeSchema.safeParse(waiting.item.data);
      if (envelope.success) {
        const outcome = outcomeOf(subscription, waiting.item, envelope.data as EventEnvelope);
        together.push({ waiting, outcome });
      } else strays.push(waiting);
    }
    if (together.length === 1) strays.push(...together.splice(0).map(({ waiting }) => waiting));
    await Promise.all([
      ...strays.map(alone),
      together.length > 0 && deliverTogether(subscription, together, outage, alone),
    ]);
  }

  /**
   * A batch's transaction. A handler that fails rolls the batch back: its failure is its
   * delivery's attempt, recorded as `process` records one, and every other delivery of the
   * batch is made again on its own, as if the batch had not been tried.
   */
  async function deliverTogether(
    subscription: Subscription,
    together: Array<{ waiting: Waiting<Job>; outcome: DeliveryOutcome }>,
    outage: OutagePause,
    alone: (waiting: Waiting<Job>) => Promise<void>,
  ): Promise<void> {
    let handled: PromiseSettledResult<boolean>[] = [];
    try {
      await db.transaction(async (tx) => {
        // Every event's inbox row in one statement; then each claimed event's handler, once
        // (taken out of the set by the first delivery of it).
        const claimed = await claimDeliveries(
          tx,
          subscription.subscriber,
          together.map(({ outcome }) => outcome),
        );
        handled = await Promise.allSettled(
          together.map(({ outcome }) =>
            consumeOnce(tx, subscription, outcome.envelope, async () =>
              claimed.delete(outcome.envelope.metadata.id),
            ),
          ),
        );
        if (handled.some((result) => result.status === 'rejected')) throw new BatchFailed();
      });
      outage.over();
      for (const { waiting } of together) waiting.resolve();
      return;
    } catch (error) {
      if (!(error instanceof BatchFailed)) {
        if (isInfrastructureError(error)) {
          const putBack = await outage.pause(error);
          for (const { waiting } of together) waiting.reject(putBack);
          return;
        }
        handled = [];
      }
    }
    await Promise.all(
      together.map(({ waiting, outcome }, i) => {
        const result = handled[i];
        return result?.status === 'rejected' && ownFailure(result.reason)
          ? failAttempt(waiting.item, outcome, result.reason, outage).catch(waiting.reject)
          : alone(waiting);
      }),
    );
  }

  /**
   * How a subscriber's worker waits out an outage: its queue pauses (BullMQ's manual rate
   * limit), longer while the outage lasts, and the job goes back to the head of the queue with
   * its attempts untouched. A DelayedError would spend no attempt either, but the worker would
   * take the next job at once and try the database again for each; a RateLimitError stops the
   * worker for the pause. Without a `limiter` on the worker the pause is this process's own:
   * other processes' workers pause when they meet the outage themselves.
   */
  function outagePause(subscriber: string): OutagePause {
    let outages = 0;
    return {
      async pause(cause) {
        outages += 1;
        const ms = retryDelayMs(outages, retryBaseMs, OUTAGE_PAUSE_MAX_MS);
        if (outages === 1) {
          logger.warn({ err: cause, subscriber }, 'event deliveries paused by an outage');
        }
        // Unpaused if Redis cannot take it: the job is still put back, unspent.
        await bounded(queueFor(subscriber).rateLimit(ms), 'pause a queue').catch(() => {});
        return Worker.RateLimitError();
      },
      over() {
        if (outages > 0) logger.info({ subscriber }, 'event deliveries resumed');
        outages = 0;
      },
    };
  }

  /**
   * Re-opens lost events in bounded steps for up to REOPEN_RUN_MS, then lets the relay run on:
   * it relays the events re-opened so far (and new ones) meanwhile, and the next run goes on.
   * True once the re-open is over.
   */
  async function reopenForAWhile(epoch: string): Promise<boolean> {
    const until = performance.now() + REOPEN_RUN_MS;
    let reopened = 0;
    for (;;) {
      const step = await reopenLostEvents(db, prefix, epoch, options.reopenBatch ?? REOPEN_BATCH);
      reopened += step.reopened;
      if (step.done || performance.now() >= until) {
        if (reopened > 0) logger.info({ epoch, reopened, done: step.done }, 'events re-opened');
        return step.done;
      }
    }
  }

  /** A job BullMQ failed without running it (it stalled more often than allowed): dead. */
  async function recordStalledOut(subscription: Subscription, job: Job, error: Error) {
    const parsed = eventEnvelopeSchema.safeParse(job.data);
    if (!parsed.success) return;
    await recordFailure(db, {
      envelope: parsed.data as EventEnvelope,
      subscriber: subscription.subscriber,
      attempts: job.attemptsMade,
      error: error.message,
      dead: true,
      nextAttemptAt: new Date(),
    }).catch((logError: unknown) => logger.error({ err: logError }, 'could not record failure'));
  }

  return {
    async beforeRelay() {
      const epoch = await bounded(readRedisEpoch(relayRedis, prefix), 'read the epoch');
      if (epoch !== confirmedEpoch) {
        const adopted = await adoptRedisEpoch(db, prefix, epoch);
        if (adopted.replaced !== undefined) {
          logger.warn(
            { epoch, previous: adopted.replaced },
            'redis lost its data; re-opening the events whose jobs went with it',
          );
        }
        confirmedEpoch = epoch;
        reopening = adopted.reopening;
      }
      if (reopening) reopening = !(await reopenForAWhile(epoch));
    },
    async fanOut(events) {
      const epoch = confirmedEpoch;
      if (!epoch) throw new Error('fanOut before beforeRelay');
      const settled = await settledDeliveries(events);
      const bySubscriber = new Map<string, EventEnvelope[]>();
      for (const { envelope, handedTo } of events) {
        for (const subscriber of handedTo ?? subscribersOf.get(envelope.name) ?? []) {
          if (settled.has(`${envelope.metadata.id} ${subscriber}`)) continue;
          const batch = bySubscriber.get(subscriber) ?? [];
          if (batch.length === 0) bySubscriber.set(subscriber, batch);
          batch.push(envelope);
        }
      }
      // One MULTI per subscriber queue for the whole batch.
      await bounded(
        Promise.all(
          [...bySubscriber].map(([subscriber, envelopes]) =>
            queueFor(subscriber).addBulk(
              envelopes.map((envelope) => ({
                name: envelope.name,
                data: envelope,
                opts: jobOptions(envelope, subscriber),
              })),
            ),
          ),
        ),
        'add jobs',
      );
      // Still the same epoch after the jobs: they went into the Redis that holds it. Otherwise
      // Redis lost its data meanwhile and the jobs may have gone with it.
      const after = await bounded(relayRedis.get(epochKey(prefix)), 'read the epoch');
      if (after !== epoch) {
        confirmedEpoch = undefined;
        throw new Error('redis lost its data while the relay handed events over');
      }
      const names = new Set(events.map((event) => event.envelope.name));
      return {
        redis: {
          prefix,
          epoch,
          subscribersOf: new Map([...names].map((name) => [name, subscribersOf.get(name) ?? []])),
        },
      };
    },
    dispatched: () => {},
    async redeliver(dead) {
      const { envelope, subscriber } = dead;
      const queue = queueFor(subscriber);
      // The job first, the record after: a replay that fails on the way (Redis away, or the old
      // job removed but the new one not added) leaves the delivery dead, so it can be replayed
      // again. A new job that runs before the revival records its own outcome, which the
      // revival then leaves alone. The failed job still holds the id: it goes, so the same id
      // can be queued again.
      await bounded(queue.remove(jobId(envelope.metadata.id, subscriber)), 'remove a job');
      await bounded(
        queue.add(envelope.name, envelope, jobOptions(envelope, subscriber)),
        'add a job',
      );
      await reviveDeadDelivery(db, dead);
    },
    async start() {
      await relayRedis.connect();
      for (const subscription of subscriptions) {
        const outage = outagePause(subscription.subscriber);
        const deliver = groupCommit<Job>((batch) => deliverBatch(subscription, batch, outage));
        const worker = new Worker(queueName(subscription.subscriber), (job) => deliver(job), {
          connection: redis,
          prefix: bullPrefix,
          concurrency: options.concurrency ?? 16,
          settings: {
            // One retry formula for both transports (backoff.ts): the delay process() drew
            // and recorded. Anything else that fails a job here gets the same formula afresh.
            backoffStrategy: (attemptsMade, _type, error) =>
              error instanceof DeliveryFailed
                ? error.retryInMs
                : retryDelayMs(attemptsMade, retryBaseMs),
          },
          // A job whose worker died (kill -9) keeps its lock until it lapses; the stalled
          // check, run every stalledInterval by any worker of the queue, then hands it to
          // another worker: within about lockDuration + stalledInterval. Short values cost a
          // lock renewal every lockDuration / 2 per active job and a check per interval; a
          // handler that blocks the event loop (or a Redis pause) longer than the lock loses
          // it and the job runs twice, which the inbox makes harmless. A job may stall
          // maxStalledCount times (Redis outages stall every active job) before BullMQ fails
          // it, which the 'failed' handler below parks as dead.
          lockDuration: jobLockMs,
          stalledInterval: Math.max(500, Math.round(jobLockMs / 2)),
          maxStalledCount: 3,
        });
        worker.on('failed', (job, error) => {
          if (!job) return;
          // BullMQ's own refusal (stalled too often) never reached process(): record it here.
          if (error.name === 'UnrecoverableError') void recordStalledOut(subscription, job, error);
          if (job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError') {
            logger.error(
              { err: error, jobId: job.id, subscriber: subscription.subscriber },
              'event delivery dead',
            );
          }
        });
        worker.on('error', (error) => logger.warn({ err: error }, 'event worker error'));
        workers.push(worker);
      }
    },
    async stop(graceMs) {
      const until = performance.now() + graceMs;
      const left = () => Math.max(0, until - performance.now());
      // Workers first: close() lets active jobs finish, so nothing is left stalled. Past most of
      // the grace (a handler stuck on the database, or Redis gone: close() waits for both), the
      // connections are dropped; those jobs' locks lapse and another worker delivers them.
      const closing = Promise.all(workers.map((worker) => worker.close()));
      if (!(await settlesWithin(closing, graceMs * 0.8))) {
        logger.warn({ graceMs }, 'event workers did not close in time; disconnecting');
        await settlesWithin(Promise.all(workers.map((worker) => worker.disconnect())), left());
      }
      await settlesWithin(Promise.all([...queues.values()].map((queue) => queue.close())), left());
      relayRedis.disconnect();
    },
  };
}
