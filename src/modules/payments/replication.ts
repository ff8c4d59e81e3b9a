import { and, asc, eq, lt, ne, sql } from 'drizzle-orm';
import { type PaymentState, paymentChanged } from '../../contracts/payments/v1/replication.ts';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { type Subscription, subscribe } from '../../platform/bus/subscription.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { Money } from '../../platform/money.ts';
import type { Payment, PaymentStatus } from './contracts.ts';
import { type PaymentRow, toPayment } from './payment-records.ts';
import { paymentRecords, refunds } from './schema.ts';

// Keeping this module's payments and payments-service's in step while both live: every settled
// change here publishes payment.changed (the whole state, v1's vocabulary, with its version) in
// its own transaction; payments-service's changes arrive as payment.changed and are upserted
// where the copy here is older. A replicated write publishes nothing, so nothing loops.

export type RefundRow = typeof refunds.$inferSelect;

const statusToV1 = { captured: 'captured', failed: 'declined', refunded: 'refunded' } as const;
const statusFromV1 = { captured: 'captured', declined: 'failed', refunded: 'refunded' } as const;

/** The settled state of a payment as payment.changed carries it (never a pending one). */
export function paymentStateOf(row: PaymentRow, refund: RefundRow | undefined): PaymentState {
  if (row.status === 'pending') throw new Error(`payment ${row.id} is pending: nothing settled`);
  return {
    payment: {
      id: row.id,
      order_ref: row.orderId,
      customer_ref: row.userId,
      amount: { amount_minor: row.amountMinor, currency: row.currency },
      status: statusToV1[row.status],
      ...(row.failureReason !== null && { decline_reason: row.failureReason }),
      ...(row.providerReference !== null && { provider_ref: row.providerReference }),
      ...(row.cardTokenLast4 !== null && { card_last4: row.cardTokenLast4 }),
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    },
    refund: refund
      ? {
          id: refund.id,
          amount: { amount_minor: refund.amountMinor, currency: refund.currency },
          reason: refund.reason,
          ...(refund.providerReference !== null && { provider_ref: refund.providerReference }),
          created_at: refund.createdAt.toISOString(),
        }
      : null,
    version: row.version,
  };
}

/** Publishes the payment's new settled state, in the transaction that changed it. */
export const publishPaymentChanged = (
  events: EventPublisher,
  tx: Executor,
  row: PaymentRow,
  refund: RefundRow | undefined,
  context?: EventContext,
) => events.publish(tx, paymentChanged, paymentStateOf(row, refund), context);

/** Another payment holds the order here: the two sides disagree, which no version settles. */
export class OrderConflict extends Error {
  constructor(state: PaymentState, existingId: string) {
    super(
      `order ${state.payment.order_ref} has payment ${existingId} here, yet payment ${state.payment.id} arrived for it (version ${state.version}): resolve by hand, then replay`,
    );
    this.name = 'OrderConflict';
  }
}

/**
 * Writes a replicated state where this side's copy is missing or older (`copied`), else
 * changes nothing (`unchanged`). Throws OrderConflict when another payment holds the order.
 */
export async function applyPaymentState(
  tx: Executor,
  state: PaymentState,
): Promise<'copied' | 'unchanged'> {
  const { payment } = state;
  const [other] = await tx
    .select({ id: paymentRecords.id })
    .from(paymentRecords)
    .where(and(eq(paymentRecords.orderId, payment.order_ref), ne(paymentRecords.id, payment.id)));
  if (other) throw new OrderConflict(state, other.id);
  const values = {
    orderId: payment.order_ref,
    userId: payment.customer_ref,
    amountMinor: payment.amount.amount_minor,
    currency: payment.amount.currency,
    status: statusFromV1[payment.status],
    failureReason: payment.decline_reason ?? null,
    providerReference: payment.provider_ref ?? null,
    cardTokenLast4: payment.card_last4 ?? null,
    cardToken: null,
    attemptToken: null,
    attemptExpiresAt: null,
    createdAt: new Date(payment.created_at),
    updatedAt: new Date(payment.updated_at),
    version: state.version,
  };
  const written = await tx
    .insert(paymentRecords)
    .values({ id: payment.id, ...values })
    .onConflictDoUpdate({
      target: paymentRecords.id,
      set: values,
      setWhere: lt(paymentRecords.version, state.version),
    })
    .returning({ id: paymentRecords.id });
  if (written.length === 0) return 'unchanged';
  const { refund } = state;
  if (refund) {
    await tx
      .insert(refunds)
      .values({
        id: refund.id,
        paymentId: payment.id,
        amountMinor: refund.amount.amount_minor,
        currency: refund.amount.currency,
        reason: refund.reason,
        providerReference: refund.provider_ref ?? null,
        createdAt: new Date(refund.created_at),
      })
      .onConflictDoNothing({ target: refunds.id });
  }
  return 'copied';
}

/**
 * payment.changed from payments-service, applied here. This component's own events come back
 * to it too (it subscribes to the event it publishes): they are skipped by their origin.
 */
export const replicateFromService = (component: string): Subscription =>
  subscribe(
    'payments.replicate-from-service',
    paymentChanged,
    async (event, tx) => {
      // Its own are not fanned out to it (othersOnly); a replay may still bring one.
      if (event.metadata.origin === component) return;
      await applyPaymentState(tx, event.payload);
    },
    { othersOnly: true },
  );

/** A settled payment with what a comparison needs beside the legacy API's shape. */
export interface PaymentRecordSnapshot {
  payment: Payment & { status: Exclude<PaymentStatus, 'pending'> };
  refund: {
    id: string;
    amount: Money;
    reason: string;
    providerReference: string | null;
    createdAt: string;
  } | null;
  cardLast4: string | null;
  version: number;
}

/**
 * Settled payments after `after` in (created_at, id) order, at most `limit`, with their refunds:
 * what a backfill copies and a verifier compares. A pending payment is left out (its outcome is
 * not known yet; it is replicated once settled). `createdAt` of a key keeps Postgres'
 * microseconds, so a resumed read neither skips nor repeats a row.
 */
export async function readPaymentSnapshots(
  db: Executor,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<Array<{ key: { createdAt: string; id: string }; snapshot: PaymentRecordSnapshot }>> {
  const rows = await db
    .select({
      payment: paymentRecords,
      refund: refunds,
      key: sql<string>`${paymentRecords.createdAt}::text`,
    })
    .from(paymentRecords)
    .leftJoin(refunds, eq(refunds.paymentId, paymentRecords.id))
    .where(
      and(
        ne(paymentRecords.status, 'pending'),
        after &&
          sql`(${paymentRecords.createdAt}, ${paymentRecords.id}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
      ),
    )
    .orderBy(asc(paymentRecords.createdAt), asc(paymentRecords.id))
    .limit(limit);
  return rows.map(({ payment, refund, key }) => ({
    key: { createdAt: key, id: payment.id },
    snapshot: {
      payment: toPayment(payment) as PaymentRecordSnapshot['payment'],
      refund: refund && {
        id: refund.id,
        amount: { amountMinor: refund.amountMinor, currency: refund.currency },
        reason: refund.reason,
        providerReference: refund.providerReference,
        createdAt: refund.createdAt.toISOString(),
      },
      cardLast4: payment.cardTokenLast4,
      version: payment.version,
    },
  }));
}

/** How many settled payments there are: a backfill's total. */
export async function countSettledPayments(db: Executor): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(paymentRecords)
    .where(ne(paymentRecords.status, 'pending'));
  return row?.n ?? 0;
}
