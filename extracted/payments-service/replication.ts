import { and, asc, eq, lt, ne, sql } from 'drizzle-orm';
import { type PaymentState, paymentChanged } from '../../src/contracts/payments/v1/index.ts';
import type { EventPublisher } from '../../src/platform/bus/event-bus.ts';
import type { EventContext } from '../../src/platform/bus/event-contract.ts';
import { type Subscription, subscribe } from '../../src/platform/bus/subscription.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { type PaymentRow, type RefundRow, toPaymentV1 } from './payment-records.ts';
import { paymentRecords, refunds } from './schema.ts';

// Keeping the service's payments and the legacy module's in step while both live: every settled
// change here publishes payment.changed (the whole state and its version) in its own
// transaction; the legacy module's changes arrive as payment.changed and are upserted where the
// copy here is older. A replicated write publishes nothing, so nothing loops.

/** The settled state of a payment as payment.changed carries it (never an authorized one). */
export function paymentStateOf(row: PaymentRow, refund: RefundRow | undefined): PaymentState {
  const payment = toPaymentV1(row);
  if (payment.status === 'authorized') {
    throw new Error(`payment ${row.id} is authorized: nothing settled`);
  }
  return {
    payment: {
      ...payment,
      status: payment.status,
      ...(row.cardLast4 !== null && { card_last4: row.cardLast4 }),
    },
    refund: refund
      ? {
          id: refund.id,
          amount: { amount_minor: refund.amountMinor, currency: refund.currency },
          reason: refund.reason,
          ...(refund.providerRef !== null && { provider_ref: refund.providerRef }),
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
 * Writes a state from the other side where the copy here is missing or older (`copied`), else
 * changes nothing (`unchanged`). Throws OrderConflict when another payment holds the order.
 * What the replication subscriber and the backfill both write with.
 */
export async function applyPaymentState(
  tx: Executor,
  state: PaymentState,
): Promise<'copied' | 'unchanged'> {
  const { payment } = state;
  const [other] = await tx
    .select({ id: paymentRecords.id })
    .from(paymentRecords)
    .where(and(eq(paymentRecords.orderRef, payment.order_ref), ne(paymentRecords.id, payment.id)));
  if (other) throw new OrderConflict(state, other.id);
  const values = {
    orderRef: payment.order_ref,
    customerRef: payment.customer_ref,
    amountMinor: payment.amount.amount_minor,
    currency: payment.amount.currency,
    status: payment.status,
    declineReason: payment.decline_reason ?? null,
    providerRef: payment.provider_ref ?? null,
    // The legacy API knows a card token or none (the customer's default method).
    sourceType: payment.card_last4 === undefined ? 'customer_default' : 'card',
    cardLast4: payment.card_last4 ?? null,
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
        providerRef: refund.provider_ref ?? null,
        createdAt: new Date(refund.created_at),
      })
      .onConflictDoNothing({ target: refunds.id });
  }
  return 'copied';
}

/**
 * payment.changed from the legacy module, applied here. The service publishes that event too,
 * but its own are not fanned out to this subscriber (othersOnly); one that comes all the same
 * (a replay) is skipped by its origin.
 */
export const replicateFromLegacy = (component: string): Subscription =>
  subscribe(
    'payments-service.replicate-from-legacy',
    paymentChanged,
    async (event, tx) => {
      if (event.metadata.origin === component) return;
      await applyPaymentState(tx, event.payload);
    },
    { othersOnly: true },
  );

/**
 * Settled payments after `after` in (created_at, id) order, at most `limit`, as payment.changed
 * would carry them: what a verifier compares. An authorized payment is left out (its outcome is
 * not known yet). A key's `createdAt` keeps Postgres' microseconds.
 */
export async function readPaymentStates(
  db: Executor,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<Array<{ key: { createdAt: string; id: string }; state: PaymentState }>> {
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
        ne(paymentRecords.status, 'authorized'),
        after &&
          sql`(${paymentRecords.createdAt}, ${paymentRecords.id}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
      ),
    )
    .orderBy(asc(paymentRecords.createdAt), asc(paymentRecords.id))
    .limit(limit);
  return rows.map(({ payment, refund, key }) => ({
    key: { createdAt: key, id: payment.id },
    state: paymentStateOf(payment, refund ?? undefined),
  }));
}
