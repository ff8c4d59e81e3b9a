import { eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import type { Payment } from './contracts.ts';
import { paymentRecords } from './schema.ts';

export type PaymentRow = typeof paymentRecords.$inferSelect;

/** The one place a payment row becomes the API's shape. */
export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    amount: { amountMinor: row.amountMinor, currency: row.currency },
    status: row.status,
    failureReason: row.failureReason,
    providerReference: row.providerReference,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What every payment event says about its payment. */
export const facts = (payment: Payment) => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  userId: payment.userId,
  amount: payment.amount,
});

export async function findPayment(db: Executor, id: string): Promise<Payment | undefined> {
  const [row] = await db.select().from(paymentRecords).where(eq(paymentRecords.id, id));
  return row && toPayment(row);
}

export async function findPaymentByOrder(
  db: Executor,
  orderId: string,
): Promise<Payment | undefined> {
  const [row] = await db.select().from(paymentRecords).where(eq(paymentRecords.orderId, orderId));
  return row && toPayment(row);
}
