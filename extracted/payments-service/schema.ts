import { sql } from 'drizzle-orm';
import { char, check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { paymentStatuses } from '../../src/contracts/payments/v1/index.ts';
import { idempotencyRecordsTable } from '../../src/platform/http/idempotency/table.ts';

/** payments-service's schema, in its own database: payments, refunds, Idempotency-Keys. */
export const payments = pgSchema('payments');

export const paymentRecords = payments.table(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // One payment per order: the authorized row a capture inserts first is what makes it idempotent.
    orderRef: uuid('order_ref').notNull().unique('payments_order_ref_key'),
    customerRef: uuid('customer_ref').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: paymentStatuses }).notNull(),
    declineReason: text('decline_reason'),
    providerRef: text('provider_ref'),
    /** The source as sent (`card` or `customer_default`); the card's last 4 for support. */
    sourceType: text('source_type').notNull(),
    cardLast4: text('card_last4'),
    /**
     * While authorized only, and wiped with the outcome: whoever finishes an interrupted capture
     * charges the same card under the same idempotency reference.
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
      sql`${t.status} in ('authorized', 'captured', 'declined', 'refunded')`,
    ),
    // The list's order and its cursor: newest first.
    index('payments_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('payments_customer_idx').on(t.customerRef, t.createdAt.desc(), t.id.desc()),
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
    providerRef: text('provider_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('refunds_amount_positive', sql`${t.amountMinor} > 0`)],
);

export const idempotencyRecords = idempotencyRecordsTable(payments);
