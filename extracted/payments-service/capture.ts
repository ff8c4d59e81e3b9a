import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, getTableColumns, isNull, lt, or, sql } from 'drizzle-orm';
import {
  type CreatePaymentRequest,
  paymentCaptured,
  paymentFailed,
} from '../../src/contracts/payments/v1/index.ts';
import type { EventContext } from '../../src/platform/bus/event-contract.ts';
import { commitWith } from '../../src/platform/db/commit-with.ts';
import { builtOnce, placeholderFor, placeholders } from '../../src/platform/db/prepared.ts';
import { fromNow } from '../../src/platform/db/sql-time.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';
import { startHeartbeat } from '../../src/platform/resilience/heartbeat.ts';
import type { PaymentsServiceDeps } from './deps.ts';
import {
  captureInProgress,
  orderAlreadyPaid,
  outcomeUnknown,
  providerUnavailable,
} from './errors.ts';
import { facts, type PaymentRow } from './payment-records.ts';
import { type ChargeResult, NotCharged } from './provider.ts';
import { publishPaymentChanged } from './replication.ts';
import { paymentRecords } from './schema.ts';

// The legacy module's guarantees, kept: a capture reaches the provider with no transaction (or
// lock) held across the call.
// (a) one statement inserts the order's payment as `authorized`, claiming the attempt; order_ref
//     is unique, so a concurrent capture finds that row instead of charging;
// (b) the provider is called outside any transaction, with order_ref as its idempotency
//     reference, while a heartbeat keeps the claim; the call is bounded (providerTimeoutMs);
// (c) one short transaction records the outcome where the row is still authorized, with its event.
// NotCharged deletes the row (a retry starts afresh). Any other failure leaves the outcome
// unknown: the row stays authorized, its claim is let go at once, and the capture answers 503
// payment-outcome-unknown. A capture meeting a live attempt waits for it (bounded); one meeting
// an attempt nobody holds (let go, or its process died), or one that ended here unrecorded,
// takes it over and asks the provider again under the same reference: it answers alike and
// charges nothing more. A refund does the same first, so money taken unanswered goes back.

const POLL_MS = 20;

/** True for the 503 of a charge the provider refused before charging anything. */
export const refusedBeforeCharging = (error: unknown): boolean =>
  error instanceof ProblemError && error.cause instanceof NotCharged;

/** Bounds a provider call: past `providerTimeoutMs` it counts as unanswered. */
export const askProvider = <T>(deps: PaymentsServiceDeps, call: Promise<T>, what: string) =>
  withDeadline(call, deps.attempts.providerTimeoutMs, `the payment provider, ${what}`);

/** A repeat must be the same capture; anything else for the order is someone else's mistake. */
export function assertSameCapture(existing: PaymentRow, request: CreatePaymentRequest) {
  const same =
    existing.customerRef === request.customer_ref &&
    existing.amountMinor === request.amount.amount_minor &&
    existing.currency === request.amount.currency;
  if (!same) throw orderAlreadyPaid(request.order_ref);
}

/** The attempt fields of a payment that has its outcome. */
const settled = { cardToken: null, attemptToken: null, attemptExpiresAt: null };

const authorizedById = (id: string) =>
  and(eq(paymentRecords.id, id), eq(paymentRecords.status, 'authorized'));

const heldBy = (id: string, token: string) =>
  and(authorizedById(id), eq(paymentRecords.attemptToken, token));

// Every capture runs these: built once.
const firstAttempt = builtOnce<
  Pick<
    PaymentRow,
    | 'orderRef'
    | 'customerRef'
    | 'amountMinor'
    | 'currency'
    | 'sourceType'
    | 'cardToken'
    | 'cardLast4'
  > & { attemptToken: string; leaseMs: number }
>()((db) =>
  db
    .insert(paymentRecords)
    .values({
      ...placeholders(
        'orderRef',
        'customerRef',
        'amountMinor',
        'currency',
        'sourceType',
        'cardToken',
        'cardLast4',
        'attemptToken',
      ),
      status: 'authorized',
      attemptExpiresAt: fromNow(sql.placeholder('leaseMs')),
    })
    .onConflictDoNothing({ target: paymentRecords.orderRef })
    .returning(),
);

/** What an outcome writes on the row; the rest of it is the authorized row's. */
type Outcome = Pick<PaymentRow, 'status' | 'declineReason' | 'providerRef'>;

const upsertOutcome = builtOnce<
  Outcome &
    Pick<
      PaymentRow,
      | 'id'
      | 'orderRef'
      | 'customerRef'
      | 'amountMinor'
      | 'currency'
      | 'sourceType'
      | 'cardLast4'
      | 'createdAt'
      | 'version'
    >
>()((db) => {
  const outcome = {
    status: placeholderFor(paymentRecords.status, 'status'),
    declineReason: placeholderFor(paymentRecords.declineReason, 'declineReason'),
    providerRef: placeholderFor(paymentRecords.providerRef, 'providerRef'),
    ...settled,
    updatedAt: sql`now()`,
  };
  return db
    .insert(paymentRecords)
    .values({
      ...placeholders(
        'id',
        'orderRef',
        'customerRef',
        'amountMinor',
        'currency',
        'sourceType',
        'cardLast4',
        'createdAt',
        'version',
      ),
      ...outcome,
    })
    .onConflictDoUpdate({
      target: paymentRecords.orderRef,
      set: { ...outcome, version: sql`${paymentRecords.version} + 1` },
      setWhere: eq(paymentRecords.status, 'authorized'),
    })
    .returning();
});

/** (a) The order's first attempt; nothing when the order has a payment row already. */
async function insertAuthorized(
  deps: PaymentsServiceDeps,
  request: CreatePaymentRequest,
  token: string,
) {
  const card = request.source.type === 'card' ? request.source.token : null;
  const [row] = await firstAttempt(deps.db, {
    orderRef: request.order_ref,
    customerRef: request.customer_ref,
    amountMinor: request.amount.amount_minor,
    currency: request.amount.currency,
    sourceType: request.source.type,
    cardToken: card,
    cardLast4: card?.slice(-4) ?? null,
    attemptToken: token,
    leaseMs: Math.round(deps.attempts.leaseMs),
  });
  return row;
}

/** No attempt holds the row: its claim was let go (no expiry), or it lapsed. */
const unclaimed = or(
  isNull(paymentRecords.attemptExpiresAt),
  lt(paymentRecords.attemptExpiresAt, sql`now()`),
);

async function currentRow(deps: PaymentsServiceDeps, orderRef: string) {
  const [row] = await deps.db
    .select({ ...getTableColumns(paymentRecords), free: sql<boolean>`${unclaimed}` })
    .from(paymentRecords)
    .where(eq(paymentRecords.orderRef, orderRef));
  return row;
}

/** An attempt of this instance that is no longer at the provider yet left the row authorized. */
function endedHere(deps: PaymentsServiceDeps, token: string | null): boolean {
  if (!token?.startsWith(`${deps.attempts.owner}:`)) return false;
  return !deps.attempts.inFlight.has(token);
}

/** Claims an authorized attempt whose holder is gone; undefined when another was faster. */
async function takeOver(deps: PaymentsServiceDeps, row: PaymentRow, token: string, ended: boolean) {
  const [taken] = await deps.db
    .update(paymentRecords)
    .set({ attemptToken: token, attemptExpiresAt: fromNow(deps.attempts.leaseMs) })
    .where(
      and(
        authorizedById(row.id),
        row.attemptToken === null
          ? isNull(paymentRecords.attemptToken)
          : eq(paymentRecords.attemptToken, row.attemptToken),
        ended ? undefined : unclaimed,
      ),
    )
    .returning();
  return taken;
}

/**
 * (c) Records the provider's answer with its event, unless another attempt recorded it first
 * (the same answer: one reference). An upsert, so the charge is recorded even if an attempt that
 * took this one over was refused (NotCharged) and deleted the row meanwhile.
 */
function recordOutcome(
  deps: PaymentsServiceDeps,
  row: PaymentRow,
  result: ChargeResult,
  context: EventContext | undefined,
): Promise<PaymentRow> {
  const outcome: Outcome = {
    status: result.outcome === 'approved' ? 'captured' : 'declined',
    declineReason: result.outcome === 'declined' ? result.reason : null,
    providerRef: result.outcome === 'approved' ? result.reference : null,
  };
  return deps.db.transaction(async (tx) => {
    const [recorded] = await upsertOutcome(tx, {
      id: row.id,
      orderRef: row.orderRef,
      customerRef: row.customerRef,
      amountMinor: row.amountMinor,
      currency: row.currency,
      sourceType: row.sourceType,
      cardLast4: row.cardLast4,
      createdAt: row.createdAt,
      ...outcome,
      // The authorized row was version 1 (its own insert), and the outcome is one change more.
      version: row.version + 1,
    });
    if (!recorded) {
      const [current] = await tx
        .select()
        .from(paymentRecords)
        .where(eq(paymentRecords.orderRef, row.orderRef));
      if (!current) throw new Error(`the payment of order ${row.orderRef} vanished`);
      return current;
    }
    // The outcome's event and payment.changed: sent together, with COMMIT, one round trip.
    await commitWith(tx, () =>
      Promise.all([
        result.outcome === 'approved'
          ? deps.events.publish(tx, paymentCaptured, facts(recorded), context)
          : deps.events.publish(
              tx,
              paymentFailed,
              { ...facts(recorded), reason: result.reason },
              context,
            ),
        publishPaymentChanged(deps.events, tx, recorded, undefined, context),
      ]),
    );
    return recorded;
  });
}

/** (b) and (c) for an attempt this instance holds as `token`. */
async function chargeAttempt(
  deps: PaymentsServiceDeps,
  row: PaymentRow,
  token: string,
  context: EventContext | undefined,
): Promise<PaymentRow> {
  const { attempts } = deps;
  attempts.inFlight.add(token);
  const heartbeat = startHeartbeat(
    attempts.leaseMs / 3,
    () =>
      deps.db
        .update(paymentRecords)
        .set({ attemptExpiresAt: fromNow(attempts.leaseMs) })
        .where(heldBy(row.id, token)),
    (error) =>
      deps.logger.warn({ err: error, orderRef: row.orderRef }, 'capture claim renewal failed'),
  );
  try {
    let result: ChargeResult;
    try {
      result = await askProvider(
        deps,
        deps.provider.charge({
          amount: { amount_minor: row.amountMinor, currency: row.currency },
          ...(row.cardToken !== null && { cardToken: row.cardToken }),
          reference: row.orderRef,
        }),
        `charging order ${row.orderRef}`,
      );
    } catch (error) {
      await heartbeat.stop();
      // Should either write below fail (our database is down), that error is thrown instead:
      // the row stays authorized under our claim, and the next capture or refund takes it over.
      if (error instanceof NotCharged) {
        await deps.db.delete(paymentRecords).where(heldBy(row.id, token));
        throw providerUnavailable(deps.logger, error, `the capture for order ${row.orderRef}`);
      }
      // Money may have been taken: the row stays authorized, free for whoever asks next.
      await deps.db
        .update(paymentRecords)
        .set({ attemptToken: null, attemptExpiresAt: null })
        .where(heldBy(row.id, token));
      throw outcomeUnknown(deps.logger, error, row.orderRef);
    }
    await heartbeat.stop();
    return await recordOutcome(deps, row, result, context);
  } finally {
    await heartbeat.stop();
    attempts.inFlight.delete(token);
  }
}

/**
 * Brings the order's payment to its outcome and returns it: as it is when it has one, or by
 * charging, as the order's first attempt (only with `request`: a capture) or by taking over an
 * attempt whose holder is gone. Waits for a live attempt up to `waitMs`, then 503
 * capture-in-progress. Undefined when the order has no payment and `request` is absent. Another
 * customer or amount than the order's payment: 409 order-already-paid.
 */
export async function settlePayment(
  deps: PaymentsServiceDeps,
  orderRef: string,
  request: CreatePaymentRequest | undefined,
  context: EventContext | undefined,
): Promise<PaymentRow | undefined> {
  const deadline = Date.now() + deps.attempts.waitMs;
  for (;;) {
    const token = `${deps.attempts.owner}:${randomUUID()}`;
    if (request) {
      const inserted = await insertAuthorized(deps, request, token);
      if (inserted) return chargeAttempt(deps, inserted, token, context);
    }
    const row = await currentRow(deps, orderRef);
    if (!row && !request) return undefined;
    if (row) {
      if (request) assertSameCapture(row, request);
      if (row.status !== 'authorized') return row;
      const ended = endedHere(deps, row.attemptToken);
      const taken = ended || row.free ? await takeOver(deps, row, token, ended) : undefined;
      if (taken) return chargeAttempt(deps, taken, token, context);
    }
    if (Date.now() >= deadline) throw captureInProgress(orderRef);
    await sleep(POLL_MS);
  }
}

/**
 * Charges the order once and answers its payment, captured or declined (a decline is not an
 * error). A payment already recorded for the order_ref is answered as it is, with no second call
 * to the provider.
 */
export async function capturePayment(
  deps: PaymentsServiceDeps,
  request: CreatePaymentRequest,
  context?: EventContext,
): Promise<PaymentRow> {
  const row = await settlePayment(deps, request.order_ref, request, context);
  if (!row) throw new Error(`the capture of order ${request.order_ref} left no payment`);
  return row;
}
