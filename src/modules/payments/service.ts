import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { conflict, notFound, ProblemError } from '../../platform/http/problem.ts';
import type { Money } from '../../platform/money.ts';
import type { CapturePaymentInput, Payment, PaymentStats } from './contracts.ts';
import { paymentCaptured, paymentFailed, paymentRefunded } from './events.ts';
import type { PaymentProvider } from './ports.ts';
import { paymentRecords, refunds } from './schema.ts';

/** What the payments use cases run on. */
export interface PaymentsDeps {
  db: Database;
  events: EventPublisher;
  provider: PaymentProvider;
  logger: Logger;
}

type PaymentRow = typeof paymentRecords.$inferSelect;

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

const facts = (payment: Payment) => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  userId: payment.userId,
  amount: payment.amount,
});

const RETRY_AFTER_SECONDS = '5';

/**
 * The provider failed to answer: nothing was recorded, and the caller may simply try again.
 * The cause goes to the log here, because the app does not log 4xx/503 problems it renders.
 */
function providerUnavailable(deps: PaymentsDeps, error: unknown, what: string): ProblemError {
  deps.logger.warn({ err: error }, `payment provider failed during ${what}`);
  const problem = new ProblemError(
    503,
    'The payment provider is unavailable; nothing was recorded. Try again shortly.',
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  );
  problem.cause = error;
  return problem;
}

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

/** A replay must be the same capture; anything else for the order is someone else's mistake. */
function assertSameCapture(existing: Payment, input: CapturePaymentInput): Payment {
  const sameAmount =
    existing.amount.amountMinor === input.amount.amountMinor &&
    existing.amount.currency === input.amount.currency;
  if (existing.userId !== input.userId || !sameAmount) {
    throw conflict(`Order ${input.orderId} already has a different payment.`);
  }
  return existing;
}

/**
 * Charges the order once. A payment already recorded for the order is returned as it is, with
 * no second call to the provider. A decline is a payment with status failed, not an error;
 * a provider outage throws a 503 and records nothing.
 */
export async function capturePayment(
  deps: PaymentsDeps,
  input: CapturePaymentInput,
  context?: EventContext,
): Promise<Payment> {
  return deps.db.transaction(async (tx) => {
    // Concurrent captures of one order queue here until the first commits, so the second one
    // finds the row below instead of charging again. The lock is held across the provider call
    // on purpose and goes away with the transaction, whatever happens.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`payments.capture:${input.orderId}`}, 0))`,
    );
    const existing = await findPaymentByOrder(tx, input.orderId);
    if (existing) return assertSameCapture(existing, input);

    const result = await deps.provider
      .charge({ amount: input.amount, cardToken: input.cardToken, reference: input.orderId })
      .catch((error: unknown) => {
        throw providerUnavailable(deps, error, `the capture for order ${input.orderId}`);
      });
    const [row] = await tx
      .insert(paymentRecords)
      .values({
        orderId: input.orderId,
        userId: input.userId,
        amountMinor: input.amount.amountMinor,
        currency: input.amount.currency,
        status: result.outcome === 'approved' ? 'captured' : 'failed',
        failureReason: result.outcome === 'declined' ? result.reason : null,
        providerReference: result.outcome === 'approved' ? result.reference : null,
        cardTokenLast4: input.cardToken?.slice(-4) ?? null,
      })
      .returning();
    if (!row) throw new Error(`payment for order ${input.orderId} was not inserted`);
    const payment = toPayment(row);
    if (result.outcome === 'approved') {
      await deps.events.publish(tx, paymentCaptured, facts(payment), context);
    } else {
      await deps.events.publish(
        tx,
        paymentFailed,
        { ...facts(payment), reason: result.reason },
        context,
      );
    }
    return payment;
  });
}

/**
 * Gives a captured payment back in full, once: a refunded payment is returned unchanged, and
 * so is a failed one (nothing was taken; the caller decides whether that is an error).
 * Undefined when there is no such payment.
 */
export function refundPayment(
  deps: PaymentsDeps,
  where: { id: string } | { orderId: string },
  reason: string,
  context?: EventContext,
): Promise<Payment | undefined> {
  return deps.db.transaction(async (tx) => {
    // The row lock makes a concurrent second refund wait, then see status refunded.
    const [row] = await tx
      .select()
      .from(paymentRecords)
      .where(
        'id' in where ? eq(paymentRecords.id, where.id) : eq(paymentRecords.orderId, where.orderId),
      )
      .for('update');
    if (!row) return undefined;
    const payment = toPayment(row);
    if (payment.status !== 'captured') return payment;

    const refunded = await deps.provider
      .refund({ reference: row.providerReference ?? payment.orderId, amount: payment.amount })
      .catch((error: unknown) => {
        throw providerUnavailable(deps, error, `the refund of payment ${payment.id}`);
      });
    const [refund] = await tx
      .insert(refunds)
      .values({
        paymentId: payment.id,
        amountMinor: payment.amount.amountMinor,
        currency: payment.amount.currency,
        reason,
        providerReference: refunded.reference,
      })
      .returning({ id: refunds.id });
    const [updated] = await tx
      .update(paymentRecords)
      .set({ status: 'refunded', updatedAt: sql`now()` })
      .where(eq(paymentRecords.id, payment.id))
      .returning();
    if (!refund || !updated) throw new Error(`refund of payment ${payment.id} was not recorded`);
    await deps.events.publish(
      tx,
      paymentRefunded,
      { ...facts(payment), refundId: refund.id, reason },
      context,
    );
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
