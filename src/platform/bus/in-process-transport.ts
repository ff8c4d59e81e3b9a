import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Transaction } from '../db/database.ts';
import { retryDelayMs } from './backoff.ts';
import type { RemoteSubscribers } from './bullmq-transport.ts';
import { recordDelivered, recordFailure, reviveDeadDelivery } from './delivery-log.ts';
import type { EventEnvelope } from './event-contract.ts';
import type { InProcessBroker } from './in-process-broker.ts';
import { createPollingLoop } from './polling-loop.ts';
import { deliveries } from './schema.ts';
import { consumeOnce, ownEventsGoTo, type Subscription } from './subscription.ts';
import type { Transport } from './transport.ts';

export interface InProcessTransportOptions {
  db: Database;
  subscriptions: Subscription[];
  logger: Logger;
  maxAttempts: number;
  retryBaseMs: number;
  pollIntervalMs: number;
  /**
   * The broker the components of this process share: this bus joins it with its subscribers,
   * and hands events to the `subscribers` of other components (by event name) through it.
   */
  shared?: { broker: InProcessBroker; remoteSubscribers: RemoteSubscribers } | undefined;
}

/** Deliveries in flight at once: one at a time falls behind a busy process's publishers. */
const CONCURRENCY = 8;

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Single-process delivery: the relay writes one delivery row per local subscriber (so the
 * deliveries are recorded in the database before the event counts as dispatched), and a loop
 * works through the due rows, one transaction each and several at once (subscribers already
 * accept events out of order, as with BullMQ), retrying with backoff until dead.
 */
export function createInProcessTransport(options: InProcessTransportOptions): Transport {
  const { db, subscriptions, logger, maxAttempts, retryBaseMs } = options;
  const bySubscriber = new Map(subscriptions.map((s) => [s.subscriber, s]));
  const names = [...bySubscriber.keys()];
  /** The subscriptions this bus's own events go to (all but the othersOnly ones). */
  const fannedOut = ownEventsGoTo(subscriptions);
  const remoteSubscribers = options.shared?.remoteSubscribers ?? {};

  /** Delivery rows in this bus's database; a batch relayed twice finds its rows there. */
  async function record(rows: ReadonlyArray<{ envelope: EventEnvelope; subscriber: string }>) {
    if (rows.length === 0) return;
    await db
      .insert(deliveries)
      .values(
        rows.map(({ envelope, subscriber }) => ({
          eventId: envelope.metadata.id,
          subscriber,
          eventName: envelope.name,
          envelope,
        })),
      )
      .onConflictDoNothing();
  }
  let detach: (() => void) | undefined;

  async function deliverOne(tx: Transaction, eventId: string, subscription: Subscription) {
    const [row] = await tx
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.eventId, eventId),
          eq(deliveries.subscriber, subscription.subscriber),
          eq(deliveries.status, 'pending'),
        ),
      )
      .for('update', { skipLocked: true });
    if (!row) return;
    const envelope = row.envelope as EventEnvelope;
    const attempts = row.attempts + 1;
    try {
      // A savepoint: a failing handler rolls back its own writes, not the failure record.
      await tx.transaction((inner) => consumeOnce(inner, subscription, envelope));
      await recordDelivered(tx, { envelope, subscriber: subscription.subscriber, attempts });
    } catch (error) {
      const dead = attempts >= maxAttempts;
      const message = error instanceof Error ? error.message : String(error);
      (dead ? logger.error : logger.warn).call(
        logger,
        {
          err: error,
          event: envelope.name,
          eventId,
          subscriber: subscription.subscriber,
          attempts,
        },
        dead ? 'event delivery dead' : 'event delivery failed; will retry',
      );
      await recordFailure(tx, {
        envelope,
        subscriber: subscription.subscriber,
        attempts,
        error: message,
        dead,
        nextAttemptAt: new Date(Date.now() + retryDelayMs(attempts, retryBaseMs)),
      });
    }
  }

  async function deliverDue(): Promise<number> {
    if (names.length === 0) return 0;
    const due = await db
      .select({ eventId: deliveries.eventId, subscriber: deliveries.subscriber })
      .from(deliveries)
      .where(
        and(
          eq(deliveries.status, 'pending'),
          lte(deliveries.nextAttemptAt, sql`now()`),
          inArray(deliveries.subscriber, names),
        ),
      )
      .orderBy(asc(deliveries.nextAttemptAt))
      .limit(50);
    await inParallel(due, CONCURRENCY, async ({ eventId, subscriber }) => {
      const subscription = bySubscriber.get(subscriber);
      if (subscription) await db.transaction((tx) => deliverOne(tx, eventId, subscription));
    });
    return due.length;
  }

  const loop = createPollingLoop(
    'deliveries',
    deliverDue,
    { intervalMs: options.pollIntervalMs },
    logger,
  );

  return {
    beforeRelay: async () => {},
    async fanOut(events) {
      const local = events.flatMap(({ envelope }) =>
        fannedOut
          .filter((s) => s.event.name === envelope.name)
          .map((s) => ({ envelope, subscriber: s.subscriber })),
      );
      const remote = events.flatMap(({ envelope }) =>
        (remoteSubscribers[envelope.name] ?? [])
          .filter((subscriber) => !bySubscriber.has(subscriber))
          .map((subscriber) => ({ envelope, subscriber })),
      );
      // Every subscriber's delivery is recorded (other components' in their own databases)
      // before the relay marks the events dispatched.
      await Promise.all([
        record(local),
        remote.length > 0 ? options.shared?.broker.handOver(remote) : undefined,
      ]);
      return {};
    },
    dispatched: () => loop.nudge(),
    async redeliver(dead) {
      // The revived row is the redelivery: the loop picks it up.
      if (await reviveDeadDelivery(db, dead)) loop.nudge();
    },
    async start() {
      detach = options.shared?.broker.attach({
        subscribers: names,
        async accept(rows) {
          await record(rows);
          loop.nudge();
        },
      });
      loop.start();
    },
    async stop(graceMs) {
      // Events for this bus's subscribers now wait in their publishers' outboxes.
      detach?.();
      await loop.stop(graceMs);
    },
  };
}
