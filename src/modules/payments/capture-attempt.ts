import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, getTableColumns, isNull, lt, or, sql } from 'drizzle-orm';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { commitWith } from '../../platform/db/commit-with.ts';
import { builtOnce, placeholderFor, placeholders } from '../../platform/db/prepared.ts';
import { fromNow } from '../../platform/db/sql-time.ts';
import { conflict, ProblemError } from '../../platform/http/problem.ts';
import { withDeadline } from '../../platform/resilience/deadline.ts';
import { startHeartbeat } from '../../platform/resilience/heartbeat.ts';
import type { CapturePaymentInput } from './contracts.ts';
import { paymentCaptured, paymentFailed } from './events.ts';
import { facts, type PaymentRow, toPayment } from './payment-records.ts';
import { type ChargeResult, NotCharged } from './ports.ts';
import { publishPaymentChanged } from './replication.ts';
import { paymentRecords } from './schema.ts';
import type { PaymentsDeps } from './service.ts';

// How a capture reaches the provider without a transaction (or a lock) held across the call:
// (a) one statement inserts the order's payment as `pending`, claiming the attempt; the order
//     id is unique, so a concurrent capture finds that row instead of charging;
// (b) the provider is called outside any transaction, with the order id as its idempotency
//     reference, while a heartbeat keeps the claim; the call is bounded (providerTimeoutMs);
// (c) one short transaction records the outcome where the row is still pending, with its event.
// A provider that says it charged nothing (NotCharged) gets the row deleted: a retry starts
// afresh. Any other failure (a timeout, ours or its own; a dropped connection) leaves the outcome
// unknown: the row stays pending, its claim is let go at once, and the capture answers 503.
// A capture that meets a live attempt waits for it (polling, bounded). One that meets an
// attempt nobody holds (it was let go, or its process died and the claim lapsed), or that ended
// in this process unrecorded (our database failed at (c)), takes it over and calls the provider
// again with the same reference: the provider answers alike and charges nothing more. A refund
// does the same first (settlePayment), so money taken by an unanswered charge is given back.

/** How this module instance runs capture attempts. */
export interface CaptureAttempts {
  /** Names this instance in attempt tokens. */
  owner: string;
  /** Tokens of this instance's attempts that are at the provider right now. */
  inFlight: Set<string>;
  /** How long an attempt's claim holds without its heartbeat (its process died). */
  leaseMs: number;
  /** How long a capture waits for another attempt on the order before answering 503. */
  waitMs: number;
  /** How long the provider may take to answer; past it, the outcome is unknown. */
  providerTimeoutMs: number;
}

const POLL_MS = 20;
const RETRY_AFTER_SECONDS = '5';

/**
 * The provider failed to answer: nothing was recorded, and the caller may simply try again.
 * The cause goes to the log here, because the app does not log 4xx/503 problems it renders.
 */
export function providerUnavailable(
  deps: PaymentsDeps,
  error: unknown,
  what: string,
): ProblemError {
  deps.logger.warn({ err: error }, `payment provider failed during ${what}`);
  const problem = new ProblemError(
    503,
    'The payment provider is unavailable; nothing was recorded. Try again shortly.',
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  );
  problem.cause = error;
  return problem;
}

/**
 * The charge's answer never came (or could not be read): money may have been taken. The payment
 * stays pending; the next capture or refund of the order asks the provider again.
 */
function outcomeUnknown(deps: PaymentsDeps, error: unknown, orderId: string): ProblemError {
  deps.logger.warn({ err: error, orderId }, 'payment provider gave no answer to a charge');
  const problem = new ProblemError(
    503,
    `The payment provider did not answer; whether order ${orderId} was charged is not known yet. Try again shortly: the same capture finishes it, and a refund gives back whatever was taken.`,
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  );
  problem.cause = error;
  return problem;
}

/** True for the 503 of a charge the provider refused before charging anything. */
export const refusedBeforeCharging = (error: unknown): boolean =>
  error instanceof ProblemError && error.cause instanceof NotCharged;

/** Bounds a provider call: past `providerTimeoutMs` it counts as unanswered. */
export const askProvider = <T>(deps: PaymentsDeps, call: Promise<T>, what: string): Promise<T> =>
  withDeadline(call, deps.attempts.providerTimeoutMs, `the payment provider, ${what}`);

const captureInProgress = (orderId: string) =>
  new ProblemError(503, `A capture of order ${orderId} is under way; try again shortly.`, {
    headers: { 'Retry-After': '1' },
  });

/** A replay must be the same capture; anything else for the order is someone else's mistake. */
function assertSameCapture(existing: PaymentRow, input: CapturePaymentInput) {
  const sameAmount =
    existing.amountMinor === input.amount.amountMinor &&
    existing.currency === input.amount.currency;
  if (existing.userId !== input.userId || !sameAmount) {
    throw conflict(`Order ${input.orderId} already has a different payment.`);
  }
}

/** The attempt fields of a payment that has its outcome. */
const settled = { cardToken: null, attemptToken: null, attemptExpiresAt: null };

const pendingById = (id: string) =>
  and(eq(paymentRecords.id, id), eq(paymentRecords.status, 'pending'));

const heldBy = (id: string, token: string) =>
  and(pendingById(id), eq(paymentRecords.attemptToken, token));

/** (a) The order's first attempt; nothing when the order has a payment row already. */
async function insertPending(deps: PaymentsDeps, input: CapturePaymentInput, token: string) {
  const [row] = await firstAttempt(deps.db, {
    orderId: input.orderId,
    userId: input.userId,
    amountMinor: input.amount.amountMinor,
    currency: input.amount.currency,
    cardToken: input.cardToken ?? null,
    cardTokenLast4: input.cardToken?.slice(-4) ?? null,
    attemptToken: token,
    leaseMs: Math.round(deps.attempts.leaseMs),
  });
  return row;
}

// Every capture writes these two: built once.
const firstAttempt = builtOnce<
  Pick<
    PaymentRow,
    'orderId' | 'userId' | 'amountMinor' | 'currency' | 'cardToken' | 'cardTokenLast4'
  > & { attemptToken: string; leaseMs: number }
>()((db) =>
  db
    .insert(paymentRecords)
    .values({
      ...placeholders(
        'orderId',
        'userId',
        'amountMinor',
        'currency',
        'cardToken',
        'cardTokenLast4',
        'attemptToken',
      ),
      status: 'pending',
      attemptExpiresAt: fromNow(sql.placeholder('leaseMs')),
    })
    .onConflictDoNothing({ target: paymentRecords.orderId })
    .returning(),
);

/** What an outcome writes on the row; the rest of it is the pending row's. */
type Outcome = Pick<PaymentRow, 'status' | 'failureReason' | 'providerReference'>;

const upsertOutcome = builtOnce<
  Outcome &
    Pick<
      PaymentRow,
      'id' | 'orderId' | 'userId' | 'amountMinor' | 'currency' | 'cardTokenLast4' | 'createdAt'
    > & { version: number }
>()((db) => {
  const outcome = {
    status: placeholderFor(paymentRecords.status, 'status'),
    failureReason: placeholderFor(paymentRecords.failureReason, 'failureReason'),
    providerReference: placeholderFor(paymentRecords.providerReference, 'providerReference'),
    ...settled,
    updatedAt: sql`now()`,
  };
  return db
    .insert(paymentRecords)
    .values({
      ...placeholders(
        'id',
        'orderId',
        'userId',
        'amountMinor',
        'currency',
        'cardTokenLast4',
        'createdAt',
        'version',
      ),
      ...outcome,
    })
    .onConflictDoUpdate({
      target: paymentRecords.orderId,
      set: { ...outcome, version: sql`${paymentRecords.version} + 1` },
      setWhere: eq(paymentRecords.status, 'pending'),
    })
    .returning();
});

/** No attempt holds the row: its claim was let go (no expiry), or it lapsed. */
const unclaimed = or(
  isNull(paymentRecords.attemptExpiresAt),
  lt(paymentRecords.attemptExpiresAt, sql`now()`),
);

const currentRow = async (deps: PaymentsDeps, orderId: string) => {
  const [row] = await deps.db
    .select({
      ...getTableColumns(paymentRecords),
      free: sql<boolean>`${unclaimed}`,
    })
    .from(paymentRecords)
    .where(eq(paymentRecords.orderId, orderId));
  return row;
};

/** An attempt of this instance that is no longer at the provider yet left the row pending. */
function endedHere(deps: PaymentsDeps, token: string | null): boolean {
  if (!token?.startsWith(`${deps.attempts.owner}:`)) return false;
  return !deps.attempts.inFlight.has(token);
}

/** Claims a pending attempt whose holder is gone; undefined when another capture was faster. */
async function takeOver(deps: PaymentsDeps, row: PaymentRow, token: string, ended: boolean) {
  const [taken] = await deps.db
    .update(paymentRecords)
    .set({ attemptToken: token, attemptExpiresAt: fromNow(deps.attempts.leaseMs) })
    .where(
      and(
        pendingById(row.id),
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
 * (c) Records the provider's answer, with its event, unless another attempt recorded it first
 * (the same answer: one reference). An upsert, so the charge is recorded even if an attempt
 * that took this one over was refused (NotCharged) and forgot the row meanwhile.
 */
function recordOutcome(
  deps: PaymentsDeps,
  row: PaymentRow,
  result: ChargeResult,
  context: EventContext | undefined,
): Promise<PaymentRow> {
  const outcome: Outcome = {
    status: result.outcome === 'approved' ? 'captured' : 'failed',
    failureReason: result.outcome === 'declined' ? result.reason : null,
    providerReference: result.outcome === 'approved' ? result.reference : null,
  };
  return deps.db.transaction(async (tx) => {
    const [recorded] = await upsertOutcome(tx, {
      id: row.id,
      orderId: row.orderId,
      userId: row.userId,
      amountMinor: row.amountMinor,
      currency: row.currency,
      cardTokenLast4: row.cardTokenLast4,
      createdAt: row.createdAt,
      ...outcome,
      // The pending row was version 1 (its own insert), and the outcome is one change more.
      version: row.version + 1,
    });
    if (!recorded) {
      const [current] = await tx
        .select()
        .from(paymentRecords)
        .where(eq(paymentRecords.orderId, row.orderId));
      if (!current) throw new Error(`the payment of order ${row.orderId} vanished`);
      return current;
    }
    const payment = toPayment(recorded);
    // The outcome's event and payment.changed: sent together, with COMMIT, one round trip.
    await commitWith(tx, () =>
      Promise.all([
        result.outcome === 'approved'
          ? deps.events.publish(tx, paymentCaptured, facts(payment), context)
          : deps.events.publish(
              tx,
              paymentFailed,
              { ...facts(payment), reason: result.reason },
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
  deps: PaymentsDeps,
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
      deps.logger.warn({ err: error, orderId: row.orderId }, 'capture claim renewal failed'),
  );
  try {
    let result: ChargeResult;
    try {
      result = await askProvider(
        deps,
        deps.provider.charge({
          amount: { amountMinor: row.amountMinor, currency: row.currency },
          ...(row.cardToken !== null && { cardToken: row.cardToken }),
          reference: row.orderId,
        }),
        `charging order ${row.orderId}`,
      );
    } catch (error) {
      await heartbeat.stop();
      // Should either write below fail (our database is down), that error is thrown instead:
      // the row stays pending under our claim, and the next capture or refund takes it over.
      if (error instanceof NotCharged) {
        // Nothing was charged: the attempt is forgotten, so a retry starts afresh.
        await deps.db.delete(paymentRecords).where(heldBy(row.id, token));
        throw providerUnavailable(deps, error, `the capture for order ${row.orderId}`);
      }
      // Money may have been taken: the row stays pending, free for whoever asks next.
      await deps.db
        .update(paymentRecords)
        .set({ attemptToken: null, attemptExpiresAt: null })
        .where(heldBy(row.id, token));
      throw outcomeUnknown(deps, error, row.orderId);
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
 * charging, as the order's first attempt (only with `input`: a capture) or by taking over an
 * attempt whose holder is gone. Waits for a live attempt up to `waitMs`, then 503. Undefined
 * when the order has no payment and `input` is absent (a refund has nothing to finish).
 * A different user or amount than the order's payment: 409.
 */
export async function settlePayment(
  deps: PaymentsDeps,
  orderId: string,
  input: CapturePaymentInput | undefined,
  context: EventContext | undefined,
): Promise<PaymentRow | undefined> {
  const deadline = Date.now() + deps.attempts.waitMs;
  for (;;) {
    const token = `${deps.attempts.owner}:${randomUUID()}`;
    if (input) {
      const inserted = await insertPending(deps, input, token);
      if (inserted) return chargeAttempt(deps, inserted, token, context);
    }
    const row = await currentRow(deps, orderId);
    if (!row && !input) return undefined;
    if (row) {
      if (input) assertSameCapture(row, input);
      if (row.status !== 'pending') return row;
      const ended = endedHere(deps, row.attemptToken);
      const taken = ended || row.free ? await takeOver(deps, row, token, ended) : undefined;
      if (taken) return chargeAttempt(deps, taken, token, context);
    }
    if (Date.now() >= deadline) throw captureInProgress(orderId);
    await sleep(POLL_MS);
  }
}
