import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { notFound } from '../../platform/http/problem.ts';
import type { Money } from '../../platform/money.ts';
import {
  askProvider,
  type CaptureAttempts,
  providerUnavailable,
  refusedBeforeCharging,
  settlePayment,
} from './capture-attempt.ts';
import type {
  CapturePaymentInput,
  ListPaymentsQuery,
  Payment,
  PaymentPage,
  PaymentStats,
} from './contracts.ts';
import { paymentRefunded } from './events.ts';
import { facts, findPayment, toPayment } from './payment-records.ts';
import type { PaymentProvider } from './ports.ts';
import { publishPaymentChanged } from './replication.ts';
import { paymentRecords, refunds } from './schema.ts';

/** What the payments use cases run on. */
export interface PaymentsDeps {
  db: Database;
  events: EventPublisher;
  provider: PaymentProvider;
  logger: Logger;
  attempts: CaptureAttempts;
}

/**
 * Charges the order once. A payment already recorded for the order is returned as it is, with
 * no second call to the provider; a capture under way elsewhere is waited for. A decline is a
 * payment with status failed, not an error. A provider that refused before charging throws a
 * 503 and records nothing; one that gave no answer throws a 503 and leaves the payment pending,
 * for the next capture or refund to finish. No transaction is open while the provider is called
 * (see capture-attempt.ts).
 */
export async function capturePayment(
  deps: PaymentsDeps,
  input: CapturePaymentInput,
  context?: EventContext,
): Promise<Payment> {
  const row = await settlePayment(deps, input.orderId, input, context);
  if (!row) throw new Error(`the capture of order ${input.orderId} left no payment`);
  return toPayment(row);
}

/**
 * A pending capture brought to its outcome before a refund: asked again, the provider tells
 * whether money was taken. Undefined when it says nothing was (the attempt is then gone).
 */
async function finishPending(deps: PaymentsDeps, orderId: string, context?: EventContext) {
  try {
    return await settlePayment(deps, orderId, undefined, context);
  } catch (error) {
    if (refusedBeforeCharging(error)) return undefined;
    throw error;
  }
}

/**
 * Gives a captured payment back in full, once: a refunded payment is returned unchanged, and
 * so is a failed one (nothing was taken; the caller decides whether that is an error). A
 * pending capture is finished first, since whether money was taken decides whether any goes
 * back (a provider that then says nothing was charged leaves nothing to refund: undefined).
 * Undefined when there is no such payment.
 *
 * No row lock is held across the provider call: two refunds racing may both ask the provider,
 * which refunds a charge once; only the first to record it (where still captured) does.
 */
export async function refundPayment(
  deps: PaymentsDeps,
  where: { id: string } | { orderId: string },
  reason: string,
  context?: EventContext,
): Promise<Payment | undefined> {
  const [found] = await deps.db
    .select()
    .from(paymentRecords)
    .where(
      'id' in where ? eq(paymentRecords.id, where.id) : eq(paymentRecords.orderId, where.orderId),
    );
  const row =
    found?.status === 'pending' ? await finishPending(deps, found.orderId, context) : found;
  if (!row) return undefined;
  const payment = toPayment(row);
  if (payment.status !== 'captured') return payment;

  const refunded = await askProvider(
    deps,
    deps.provider.refund({
      reference: row.providerReference ?? payment.orderId,
      amount: payment.amount,
    }),
    `refunding payment ${payment.id}`,
  ).catch((error: unknown) => {
    throw providerUnavailable(deps, error, `the refund of payment ${payment.id}`);
  });
  return deps.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(paymentRecords)
      .set({
        status: 'refunded',
        updatedAt: sql`now()`,
        version: sql`${paymentRecords.version} + 1`,
      })
      .where(and(eq(paymentRecords.id, payment.id), eq(paymentRecords.status, 'captured')))
      .returning();
    if (!updated) {
      // A concurrent refund recorded it first.
      const current = await findPayment(tx, payment.id);
      if (!current) throw new Error(`payment ${payment.id} vanished during its refund`);
      return current;
    }
    const [refund] = await tx
      .insert(refunds)
      .values({
        paymentId: payment.id,
        amountMinor: payment.amount.amountMinor,
        currency: payment.amount.currency,
        reason,
        providerReference: refunded.reference,
      })
      .returning();
    if (!refund) throw new Error(`refund of payment ${payment.id} was not recorded`);
    await deps.events.publish(
      tx,
      paymentRefunded,
      { ...facts(payment), refundId: refund.id, reason },
      context,
    );
    await publishPaymentChanged(deps.events, tx, updated, refund, context);
    return toPayment(updated);
  });
}

export async function getPaymentStats(db: Executor): Promise<PaymentStats> {
  const [counts, sums] = await Promise.all([
    db
      .select({ status: paymentRecords.status, count: sql<number>`count(*)::int` })
      .from(paymentRecords)
      .groupBy(paymentRecords.status),
    db
      .select({
        currency: paymentRecords.currency,
        // bigint in SQL so a large sum cannot overflow; it comes back as text.
        amountMinor: sql<string>`sum(${paymentRecords.amountMinor})::bigint::text`,
      })
      .from(paymentRecords)
      .where(eq(paymentRecords.status, 'captured'))
      .groupBy(paymentRecords.currency)
      .orderBy(paymentRecords.currency),
  ]);
  const countOf = (status: Payment['status']) =>
    counts.find((entry) => entry.status === status)?.count ?? 0;
  const capturedAmounts: Money[] = sums.map((sum) => ({
    amountMinor: Number(sum.amountMinor),
    currency: sum.currency,
  }));
  return {
    captured: countOf('captured'),
    refunded: countOf('refunded'),
    failed: countOf('failed'),
    capturedAmounts,
  };
}

export async function getPaymentFor(
  db: Executor,
  id: string,
  caller: { id: string; roles: readonly string[] },
): Promise<Payment> {
  const payment = await findPayment(db, id);
  // Someone else's payment looks exactly like a missing one.
  if (!payment || (payment.userId !== caller.id && !caller.roles.includes('admin'))) {
    throw notFound(`Payment ${id} does not exist.`);
  }
  return payment;
}

/**
 * A page of payments, newest first (created, then id: a stable order). `userId` undefined lists
 * everyone's (an admin without a filter).
 */
export async function listPayments(
  db: Executor,
  filter: { userId?: string | undefined; orderId?: string | undefined },
  query: Pick<ListPaymentsQuery, 'page' | 'pageSize'>,
): Promise<PaymentPage> {
  const matches: SQL[] = [];
  if (filter.userId) matches.push(eq(paymentRecords.userId, filter.userId));
  if (filter.orderId) matches.push(eq(paymentRecords.orderId, filter.orderId));
  const where = and(...matches);
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(paymentRecords)
      .where(where)
      .orderBy(desc(paymentRecords.createdAt), desc(paymentRecords.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(paymentRecords).where(where),
  ]);
  return {
    items: rows.map(toPayment),
    page: query.page,
    pageSize: query.pageSize,
    total: totals[0]?.total ?? 0,
  };
}
