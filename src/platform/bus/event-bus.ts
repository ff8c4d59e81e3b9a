import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/database.ts';
import type { RemoteSubscribers } from './bullmq-transport.ts';
import { type DeadDelivery, findDeadDelivery, listDeadDeliveries } from './delivery-log.ts';
import type { EventContext, EventContract, EventEnvelope, PayloadOf } from './event-contract.ts';
import type { InProcessBroker } from './in-process-broker.ts';
import { createInProcessTransport } from './in-process-transport.ts';
import { oldestWaitingEventAgeMs, relayOutboxBatch } from './outbox-relay.ts';
import { createPollingLoop } from './polling-loop.ts';
import { publishEvent } from './publish.ts';
import { pruneEventRecords } from './retention.ts';
import type { Subscription } from './subscription.ts';
import type { Transport } from './transport.ts';

/** What a module needs to publish: the event goes out only if `tx` commits. */
export interface EventPublisher {
  publish<C extends EventContract>(
    tx: Executor,
    contract: C,
    payload: PayloadOf<C>,
    context?: EventContext,
  ): Promise<EventEnvelope<PayloadOf<C>>>;
}

export interface EventBus extends EventPublisher {
  /** Registers consumers; call before start. */
  subscribe(...subscriptions: Subscription[]): void;
  start(): Promise<void>;
  /**
   * Stops relaying and consuming; in-flight deliveries get up to `graceMs` to finish, and the
   * whole stop stays within about that bound even with the database or Redis gone.
   */
  stop(graceMs?: number): Promise<void>;
  deadDeliveries(limit?: number): Promise<DeadDelivery[]>;
  /**
   * Gives a dead delivery a fresh set of attempts; false when there is no such dead delivery.
   * A replay that fails (the database or Redis away) leaves the delivery dead, to replay again.
   */
  replay(eventId: string, subscriber: string): Promise<boolean>;
  /**
   * A readiness check: throws when the relay has not finished a run, or the oldest event
   * waiting in the outbox has waited, for longer than `relayStallMs`.
   */
  checkRelay(): Promise<void>;
  /** Deletes up to `limit` per table of delivered events older than the window (see retention.ts). */
  prune(olderThanMs: number, limit: number): Promise<number>;
}

export interface EventBusOptions {
  db: Database;
  logger: Logger;
  /** The publishing component, written into every event's metadata as its origin. */
  component?: string;
  /** With Redis, delivery runs through BullMQ; without it, in-process. */
  redis?: { client: Redis; prefix: string } | undefined;
  /**
   * Subscribers in other components, by event name: a fact of the deployment. With Redis the
   * relay queues a job for each of them as for the local subscriptions; without it, the broker
   * hands them the events.
   */
  remoteSubscribers?: RemoteSubscribers | undefined;
  /**
   * Without Redis: the broker the components of this process share, through which events reach
   * the remote subscribers (their deliveries and inbox in their own databases).
   */
  broker?: InProcessBroker | undefined;
  maxAttempts: number;
  retryBaseMs: number;
  pollIntervalMs?: number;
  batchSize?: number;
  /** How long the relay lets events gather before a run (see PollingLoopTiming.gatherMs). */
  relayGatherMs?: number;
  /** How long a relay's claim on a batch lasts if it dies while handing it over. */
  relayClaimMs?: number;
  /** checkRelay's bound on the relay's last run and the outbox's oldest waiting event. */
  relayStallMs?: number;
  /** BullMQ's lock on an active job; a dead worker's jobs move on within about 1.5 times this. */
  jobLockMs?: number;
  /** Bound on each of the relay's calls to Redis. */
  redisTimeoutMs?: number;
  /** Outbox rows per re-open statement after Redis lost its data (BullMQ only). */
  reopenBatch?: number;
}

export function createEventBus(options: EventBusOptions): EventBus {
  const { db, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const relayStallMs = options.relayStallMs ?? 60_000;
  const subscriptions: Subscription[] = [];
  let transport: Transport | undefined;
  /** Set as start() begins, before the transport exists (BullMQ's is made after an import). */
  let started = false;
  let relayLoop: ReturnType<typeof createPollingLoop> | undefined;
  /** When the relay last finished a run (performance.now()). */
  let lastRelayRun = 0;

  // BullMQ (and ioredis under it) is loaded only when Redis is configured: it was ~0.2 s of
  // every embedded start.
  const makeTransport = async (): Promise<Transport> =>
    options.redis
      ? (await import('./bullmq-transport.ts')).createBullmqTransport({
          db,
          redis: options.redis.client,
          prefix: options.redis.prefix,
          subscriptions,
          remoteSubscribers: options.remoteSubscribers,
          logger,
          maxAttempts: options.maxAttempts,
          retryBaseMs: options.retryBaseMs,
          jobLockMs: options.jobLockMs,
          redisTimeoutMs: options.redisTimeoutMs,
          reopenBatch: options.reopenBatch,
        })
      : createInProcessTransport({
          db,
          subscriptions,
          logger,
          maxAttempts: options.maxAttempts,
          retryBaseMs: options.retryBaseMs,
          pollIntervalMs,
          shared: options.broker && {
            broker: options.broker,
            remoteSubscribers: options.remoteSubscribers ?? {},
          },
        });

  return {
    async publish(tx, contract, payload, context) {
      const envelope = await publishEvent(tx, contract, payload, context, options.component);
      // The caller's transaction commits after this returns: the relay looks again once its
      // gathering window (relayGatherMs) has passed, with whatever else was published meanwhile.
      relayLoop?.nudge();
      return envelope;
    },
    subscribe(...added) {
      if (started) throw new Error('subscribe before the event bus starts');
      for (const subscription of added) {
        if (subscriptions.some((s) => s.subscriber === subscription.subscriber)) {
          throw new Error(`duplicate subscriber name: ${subscription.subscriber}`);
        }
        subscriptions.push(subscription);
      }
    },
    async start() {
      started = true;
      const active = await makeTransport();
      transport = active;
      await active.start();
      const batchSize = options.batchSize ?? 100;
      const relay = { batchSize, claimMs: options.relayClaimMs ?? 10_000 };
      lastRelayRun = performance.now();
      relayLoop = createPollingLoop(
        'outbox',
        async () => {
          const claimed = await relayOutboxBatch(db, active, relay);
          lastRelayRun = performance.now();
          return claimed;
        },
        { intervalMs: pollIntervalMs, gatherMs: options.relayGatherMs ?? 10, fullBatch: batchSize },
        logger,
      );
      relayLoop.start();
    },
    async stop(graceMs = 10_000) {
      const until = performance.now() + graceMs;
      const left = () => Math.max(0, until - performance.now());
      await relayLoop?.stop(left() / 2);
      await transport?.stop(left());
    },
    deadDeliveries: (limit) => listDeadDeliveries(db, limit),
    async replay(eventId, subscriber) {
      if (!transport) throw new Error('the event bus has not started');
      const dead = await findDeadDelivery(db, eventId, subscriber);
      if (!dead) return false;
      await transport.redeliver(dead);
      return true;
    },
    async checkRelay() {
      if (!relayLoop) throw new Error('the event bus has not started');
      const sinceRun = Math.round(performance.now() - lastRelayRun);
      if (sinceRun > relayStallMs) {
        throw new Error(`the outbox relay has not finished a run for ${sinceRun} ms`);
      }
      const waitingMs = Math.round(await oldestWaitingEventAgeMs(db));
      if (waitingMs > relayStallMs) {
        throw new Error(`the oldest event in the outbox has waited ${waitingMs} ms`);
      }
    },
    prune: (olderThanMs, limit) => pruneEventRecords(db, olderThanMs, limit),
  };
}
