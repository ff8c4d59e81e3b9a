import { sql } from 'drizzle-orm';
import { char, check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { paymentStatuses } from './contracts.ts';

/** The payments module's own schema: one payment per order and its refund. */
export const payments = pgSchema('payments');

export const paymentRecords = payments.table(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // One payment per order: the pending row a capture inserts first is what makes it idempotent.
    orderId: uuid('order_id').notNull().unique('payments_order_id_key'),
    userId: uuid('user_id').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: paymentStatuses }).notNull(),
    failureReason: text('failure_reason'),
    providerReference: text('provider_reference'),
    // Enough to tell cards apart in support.
    cardTokenLast4: text('card_token_last4'),
    /**
     * While pending only, and wiped with the outcome: whoever finishes an interrupted capture
     * charges with the same details under the same idempotency reference.
     */
    cardToken: text('card_token'),
    /** The capture attempt calling the provider now, and until when its claim holds. */
    attemptToken: text('attempt_token'),
    attemptExpiresAt: timestamp('attempt_expires_at', { withTimezone: true }),
    /**
     * Raised by one with every change of its state on either side (payment.changed carries it):
     * a replicated write lands only over an older version. Claims and heartbeats do not count.
     */
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('payments_amount_positive', sql`${t.amountMinor} > 0`),
    check('payments_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check(
      'payments_status_known',
      sql`${t.status} in ('pending', 'captured', 'failed', 'refunded')`,
    ),
    index('payments_user_idx').on(t.userId),
  ],
);

/** Refunds are for the full amount, so a payment has at most one. */
export const refunds = payments.table(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .unique('refunds_payment_id_key')
      .references(() => paymentRecords.id),
    amountMinor: integer('amount_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    reason: text('reason').notNull(),
    providerReference: text('provider_reference'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('refunds_amount_positive', sql`${t.amountMinor} > 0`)],
);
