import { eq } from 'drizzle-orm';
import type { PaymentV1, Refund } from '../../src/contracts/payments/v1/index.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { paymentRecords, refunds } from './schema.ts';

export type PaymentRow = typeof paymentRecords.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;

/** The one place a payment row becomes the API's shape. */
export function toPaymentV1(row: PaymentRow): PaymentV1 {
  return {
    id: row.id,
    order_ref: row.orderRef,
    customer_ref: row.customerRef,
    amount: { amount_minor: row.amountMinor, currency: row.currency },
    status: row.status,
    ...(row.declineReason !== null && { decline_reason: row.declineReason }),
    ...(row.providerRef !== null && { provider_ref: row.providerRef }),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toRefund(row: RefundRow, payment: PaymentRow): Refund {
  return {
    id: row.id,
    payment_id: row.paymentId,
    amount: { amount_minor: row.amountMinor, currency: row.currency },
    reason: row.reason,
    ...(row.providerRef !== null && { provider_ref: row.providerRef }),
    created_at: row.createdAt.toISOString(),
    payment: toPaymentV1(payment),
  };
}

/** What every payment.* event says about its payment (the contract's payload, unchanged). */
export const facts = (row: PaymentRow) => ({
  paymentId: row.id,
  orderId: row.orderRef,
  userId: row.customerRef,
  amount: { amountMinor: row.amountMinor, currency: row.currency },
});

export async function findPaymentRow(db: Executor, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(paymentRecords).where(eq(paymentRecords.id, id));
  return row;
}

export async function findRefundRow(
  db: Executor,
  paymentId: string,
): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.paymentId, paymentId));
  return row;
}
