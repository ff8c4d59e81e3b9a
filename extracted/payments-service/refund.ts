import { and, eq, sql } from 'drizzle-orm';
import { paymentRefunded } from '../../src/contracts/payments/v1/index.ts';
import type { EventContext } from '../../src/platform/bus/event-contract.ts';
import { askProvider, refusedBeforeCharging, settlePayment } from './capture.ts';
import type { PaymentsServiceDeps } from './deps.ts';
import { paymentNotFound, providerUnavailable, refundNotPossible } from './errors.ts';
import {
  facts,
  findPaymentRow,
  findRefundRow,
  type PaymentRow,
  type RefundRow,
} from './payment-records.ts';
import { publishPaymentChanged } from './replication.ts';
import { paymentRecords, refunds } from './schema.ts';

/** A refund as recorded; `created` is false when the payment had been refunded already. */
export interface RefundOutcome {
  refund: RefundRow;
  payment: PaymentRow;
  created: boolean;
}

/** An authorized capture brought to its outcome first; undefined when nothing was charged. */
async function finishAuthorized(
  deps: PaymentsServiceDeps,
  row: PaymentRow,
  context?: EventContext,
) {
  try {
    return await settlePayment(deps, row.orderRef, undefined, context);
  } catch (error) {
    if (refusedBeforeCharging(error)) return undefined;
    throw error;
  }
}

async function existingRefund(
  deps: PaymentsServiceDeps,
  payment: PaymentRow,
): Promise<RefundOutcome> {
  const refund = await findRefundRow(deps.db, payment.id);
  if (!refund) throw new Error(`payment ${payment.id} is refunded but has no refund`);
  return { refund, payment, created: false };
}

/**
 * Gives a captured payment back in full, once: a refunded payment answers its refund again. An
 * authorized capture is finished first, since whether money was taken decides whether any goes
 * back. 404 payment-not-found for no payment (or one the provider then says it never charged),
 * 409 refund-not-possible for a declined one. No row lock is held across the provider call: two
 * refunds racing may both ask the provider, which refunds a charge once; the first to record wins.
 */
export async function refundPayment(
  deps: PaymentsServiceDeps,
  id: string,
  reason: string,
  context?: EventContext,
): Promise<RefundOutcome> {
  const found = await findPaymentRow(deps.db, id);
  const row = found?.status === 'authorized' ? await finishAuthorized(deps, found, context) : found;
  if (!row) throw paymentNotFound(id);
  if (row.status === 'refunded') return existingRefund(deps, row);
  if (row.status === 'declined') throw refundNotPossible(id, 'it was declined, nothing was taken');
  if (row.status !== 'captured') throw refundNotPossible(id, `it is ${row.status}`);

  const amount = { amount_minor: row.amountMinor, currency: row.currency };
  const given = await askProvider(
    deps,
    deps.provider.refund({ reference: row.providerRef ?? row.orderRef, amount }),
    `refunding payment ${id}`,
  ).catch((error: unknown) => {
    throw providerUnavailable(deps.logger, error, `the refund of payment ${id}`);
  });
  const recorded = await deps.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(paymentRecords)
      .set({
        status: 'refunded',
        updatedAt: sql`now()`,
        version: sql`${paymentRecords.version} + 1`,
      })
      .where(and(eq(paymentRecords.id, id), eq(paymentRecords.status, 'captured')))
      .returning();
    // A concurrent refund recorded it first.
    if (!updated) return undefined;
    const [refund] = await tx
      .insert(refunds)
      .values({
        paymentId: id,
        amountMinor: row.amountMinor,
        currency: row.currency,
        reason,
        providerRef: given.reference,
      })
      .returning();
    if (!refund) throw new Error(`the refund of payment ${id} was not recorded`);
    await deps.events.publish(
      tx,
      paymentRefunded,
      { ...facts(updated), refundId: refund.id, reason },
      context,
    );
    await publishPaymentChanged(deps.events, tx, updated, refund, context);
    return { refund, payment: updated, created: true };
  });
  if (recorded) return recorded;
  const current = await findPaymentRow(deps.db, id);
  if (!current) throw paymentNotFound(id);
  return existingRefund(deps, current);
}
