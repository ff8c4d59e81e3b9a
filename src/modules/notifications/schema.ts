import { sql } from 'drizzle-orm';
import { index, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { notificationKinds, notificationStatuses } from './contracts.ts';

/** The notifications module's own schema: who to reach, what they were told, and mail to send. */
export const notifications = pgSchema('notifications');

/**
 * A local copy of each user's contact details, kept from user.registered / user.updated:
 * modules never read each other's tables. `version_at` is the newest event applied, so an
 * older event arriving late never overwrites a newer address.
 */
export const recipients = notifications.table('recipients', {
  userId: uuid('user_id').primaryKey(),
  email: text('email').notNull(),
  username: text('username').notNull(),
  versionAt: timestamp('version_at', { withTimezone: true }).notNull(),
});

export const notificationRows = notifications.table(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // The user lives in the users module: referenced by id only.
    userId: uuid('user_id').notNull(),
    eventId: uuid('event_id').notNull(),
    kind: text('kind', { enum: notificationKinds }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    channels: text('channels').array().notNull().default(sql`'{}'::text[]`),
    status: text('status', { enum: notificationStatuses }).notNull().default('delivered'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Behind the platform's inbox: even a renamed subscriber cannot tell about an event twice.
    unique('notifications_event_kind_key').on(t.eventId, t.kind),
    index('notifications_user_created_idx').on(t.userId, t.createdAt),
  ],
);

/** Stands in for SMTP: a mailer would pick up rows with no `sent_at`. */
export const emailOutbox = notifications.table(
  'email_outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    notificationId: uuid('notification_id')
      .notNull()
      .references(() => notificationRows.id),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('email_outbox_unsent_idx').on(t.createdAt).where(sql`${t.sentAt} is null`)],
);
