import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { EventMetadata } from './event-contract.ts';

/** The platform's own tables: the transactional outbox, per-subscriber deliveries and the inbox. */
export const platform = pgSchema('platform');

export const outbox = platform.table(
  'outbox',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    payload: jsonb('payload').notNull(),
    metadata: jsonb('metadata').$type<EventMetadata>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    /** A relay is handing the row over until then; a relay that died lets it lapse. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    /**
     * The Redis epoch (see busEpochs) whose queues got the event's jobs; null until it went
     * through Redis. A row re-opened after Redis lost its data keeps it, marking a redelivery.
     */
    redisEpoch: text('redis_epoch'),
    /** The subscribers its jobs were queued for: after Redis lost its data, the ones owed it. */
    handedTo: text('handed_to').array(),
  },
  (t) => [
    index('outbox_undispatched_idx').on(t.createdAt).where(sql`${t.dispatchedAt} is null`),
    index('outbox_dispatched_idx').on(t.dispatchedAt).where(sql`${t.dispatchedAt} is not null`),
  ],
);

export const deliveryStatuses = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** One row per (event, subscriber): the delivery's attempts, outcome and next try. */
export const deliveries = platform.table(
  'event_deliveries',
  {
    eventId: uuid('event_id').notNull(),
    subscriber: text('subscriber').notNull(),
    eventName: text('event_name').notNull(),
    envelope: jsonb('envelope').notNull(),
    status: text('status', { enum: deliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.subscriber] }),
    index('event_deliveries_due_idx').on(t.status, t.nextAttemptAt),
  ],
);

/** Event ids a consumer has handled, so a redelivery changes nothing. */
export const inbox = platform.table(
  'inbox',
  {
    consumer: text('consumer').notNull(),
    eventId: uuid('event_id').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.consumer, t.eventId] }),
    index('inbox_handled_idx').on(t.handledAt),
  ],
);

/**
 * The Redis epoch each key prefix's queues are known to hold: a random value the bus keeps in
 * Redis (`<prefix>:bus:epoch`). Redis coming back without it (or with another one) means it
 * lost its data, and with it the jobs of every event handed over under the epoch kept here.
 */
export const busEpochs = platform.table('bus_epochs', {
  prefix: text('prefix').primaryKey(),
  epoch: text('epoch').notNull(),
  changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  /** The events lost with the previous epoch are being re-opened, in batches (redis-epoch.ts). */
  reopening: boolean('reopening').notNull().default(false),
  /** The re-open goes through the outbox by id: the last id it has been through. */
  reopenedUpTo: uuid('reopened_up_to'),
});
