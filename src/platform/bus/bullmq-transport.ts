import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { recordDelivered, recordFailure } from './delivery-log.ts';
import { type EventEnvelope, eventEnvelopeSchema } from './event-contract.ts';
import { consumeOnce, type Subscription } from './subscription.ts';
import type { Transport } from './transport.ts';

export interface BullmqTransportOptions {
  db: Database;
  /** Needs `maxRetriesPerRequest: null` (workers block on it). */
  redis: Redis;
  /** Key prefix for everything this bus keeps in Redis. */
  prefix: string;
  subscriptions: Subscription[];
  logger: Logger;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency?: number;
}

const queueName = (subscriber: string) => `events.${subscriber}`;
// BullMQ refuses ':' in custom ids; the id makes a re-relayed event a no-op while the job is kept.
const jobId = (envelope: EventEnvelope, subscriber: string) =>
  `${envelope.metadata.id}_${subscriber}`;

/**
 * Delivery through Redis: every subscriber has a named queue, so subscribers in other processes
 * (workers, replicas, extracted services) receive events too. Each bus announces its
 * subscribers in a Redis set per event name; the relay adds one job per (event, subscriber).
 */
export function createBullmqTransport(options: BullmqTransportOptions): Transport {
  const { db, redis, prefix, subscriptions, logger, maxAttempts, retryBaseMs } = options;
  const bullPrefix = `${prefix}:bull`;
  const registryKey = (eventName: string) => `${prefix}:subscribers:${eventName}`;
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];

  const queueFor = (subscriber: string) => {
    let queue = queues.get(subscriber);
    if (!queue) {
      queue = new Queue(queueName(subscriber), { connection: redis, prefix: bullPrefix });
      queues.set(subscriber, queue);
    }
    return queue;
  };

  const jobOptions = (envelope: EventEnvelope, subscriber: string) => ({
    jobId: jobId(envelope, subscriber),
    attempts: maxAttempts,
    backoff: { type: 'exponential', delay: retryBaseMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    // Kept, so a dead job stays visible in Redis too; the delivery log is the source of truth.
    removeOnFail: { age: 7 * 24 * 3600 },
  });

  async function process(subscription: Subscription, job: Job): Promise<void> {
    const envelope = eventEnvelopeSchema.parse(job.data) as EventEnvelope;
    const attempts = job.attemptsMade + 1;
    try {
      // The delivery record goes out with the inbox claim: if the handler fails, both roll back.
      await db.transaction((tx) =>
        Promise.all([
          consumeOnce(tx, subscription, envelope),
          recordDelivered(tx, { envelope, subscriber: subscription.subscriber, attempts }),
        ]),
      );
    } catch (error) {
      const dead = attempts >= (job.opts.attempts ?? 1);
      await recordFailure(db, {
        envelope,
        subscriber: subscription.subscriber,
        attempts,
        error: error instanceof Error ? error.message : String(error),
        dead,
        nextAttemptAt: new Date(Date.now() + retryBaseMs * 2 ** (attempts - 1)),
      }).catch((logError: unknown) => logger.error({ err: logError }, 'could not record failure'));
      throw error;
    }
  }

  return {
    async fanOut(_tx, envelopes) {
      // Each event name's subscribers once per batch, all names at once.
      const names = [...new Set(envelopes.map((envelope) => envelope.name))];
      const lists = await Promise.all(names.map((name) => redis.smembers(registryKey(name))));
      const subscribersOf = new Map(names.map((name, i) => [name, lists[i] ?? []]));
      await Promise.all(
        envelopes.flatMap((envelope) =>
          (subscribersOf.get(envelope.name) ?? []).map((subscriber) =>
            queueFor(subscriber).add(envelope.name, envelope, jobOptions(envelope, subscriber)),
          ),
        ),
      );
    },
    dispatched: () => {},
    async redeliver(envelope, subscriber) {
      const queue = queueFor(subscriber);
      // The failed job still holds the id; remove it so the same id can be queued again.
      await queue.remove(jobId(envelope, subscriber));
      await queue.add(envelope.name, envelope, jobOptions(envelope, subscriber));
    },
    async start() {
      for (const subscription of subscriptions) {
        await redis.sadd(registryKey(subscription.event.name), subscription.subscriber);
        const worker = new Worker(
          queueName(subscription.subscriber),
          (job) => process(subscription, job),
          {
            connection: redis,
            prefix: bullPrefix,
            concurrency: options.concurrency ?? 4,
          },
        );
        worker.on('failed', (job, error) => {
          if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
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
    async stop() {
      // Workers first: close() lets active jobs finish, so nothing is left stalled.
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
