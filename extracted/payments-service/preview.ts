import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { CreatePaymentRequest } from '../../src/contracts/payments/v1/index.ts';
import { assertSameCapture } from './capture.ts';
import type { PaymentsServiceDeps } from './deps.ts';
import { paymentNotFound, providerUnavailable, refundNotPossible } from './errors.ts';
import { findPaymentRow, findRefundRow, type PaymentRow } from './payment-records.ts';
import type { RefundOutcome } from './refund.ts';
import {
  decideSandboxCharge,
  SandboxProviderOutage,
  sandboxChargeReference,
  sandboxRefundReference,
} from './sandbox-provider.ts';
import { paymentRecords } from './schema.ts';

/*
 * Dry runs (X-Dry-Run: true): what a capture or a refund would answer, from reads only. Nothing
 * is written, published or sent to the provider; the charge's outcome comes from the sandbox's
 * own rules (decideSandboxCharge), so a card the sandbox declines is declined here too. What the
 * real request would create (a payment, a refund) gets a fresh id that names nothing; what exists
 * already is answered as it is. The same refusals, with the same codes, as the real use cases.
 */

/** The row as the charge the sandbox decides would leave it; undefined: refused, nothing charged. */
function charged(row: PaymentRow): PaymentRow | undefined {
  const decision = decideSandboxCharge({
    amount: { amount_minor: row.amountMinor, currency: row.currency },
    ...(row.cardToken !== null && { cardToken: row.cardToken }),
  });
  if (decision.outcome === 'outage') return undefined;
  const settled = {
    cardToken: null,
    attemptToken: null,
    attemptExpiresAt: null,
    updatedAt: new Date(),
  };
  return decision.outcome === 'approved'
    ? {
        ...row,
        ...settled,
        status: 'captured',
        providerRef: sandboxChargeReference(),
        version: row.version + 1,
      }
    : {
        ...row,
        ...settled,
        status: 'declined',
        declineReason: decision.reason,
        version: row.version + 1,
      };
}

/** A capture's charge: the sandbox's outage is the real capture's 503 provider-unavailable. */
function chargedOrRefused(deps: PaymentsServiceDeps, row: PaymentRow): PaymentRow {
  const outcome = charged(row);
  if (outcome) return outcome;
  throw providerUnavailable(
    deps.logger,
    new SandboxProviderOutage(),
    `a dry run of the capture for order ${row.orderRef}`,
  );
}

/** The row a capture's first attempt would insert, under a fresh id. */
function authorizedRow(request: CreatePaymentRequest): PaymentRow {
  const card = request.source.type === 'card' ? request.source.token : null;
  const now = new Date();
  return {
    id: randomUUID(),
    orderRef: request.order_ref,
    customerRef: request.customer_ref,
    amountMinor: request.amount.amount_minor,
    currency: request.amount.currency,
    status: 'authorized',
    declineReason: null,
    providerRef: null,
    sourceType: request.source.type,
    cardLast4: card?.slice(-4) ?? null,
    cardToken: card,
    attemptToken: null,
    attemptExpiresAt: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** What capturePayment would answer for `request`. */
export async function previewCapture(
  deps: PaymentsServiceDeps,
  request: CreatePaymentRequest,
): Promise<PaymentRow> {
  const [existing] = await deps.db
    .select()
    .from(paymentRecords)
    .where(eq(paymentRecords.orderRef, request.order_ref));
  if (!existing) return chargedOrRefused(deps, authorizedRow(request));
  assertSameCapture(existing, request);
  // An unsettled attempt would be finished under the same card and reference: the same decision.
  return existing.status === 'authorized' ? chargedOrRefused(deps, existing) : existing;
}

/** What refundPayment would answer for payment `id`. */
export async function previewRefund(
  deps: PaymentsServiceDeps,
  id: string,
  reason: string,
): Promise<RefundOutcome> {
  const found = await findPaymentRow(deps.db, id);
  // An unsettled capture would be finished first; one the provider refuses leaves no payment.
  const row = found?.status === 'authorized' ? charged(found) : found;
  if (!row) throw paymentNotFound(id);
  if (row.status === 'refunded') {
    const refund = await findRefundRow(deps.db, row.id);
    if (!refund) throw new Error(`payment ${row.id} is refunded but has no refund`);
    return { refund, payment: row, created: false };
  }
  if (row.status === 'declined') throw refundNotPossible(id, 'it was declined, nothing was taken');
  if (row.status !== 'captured') throw refundNotPossible(id, `it is ${row.status}`);
  const now = new Date();
  return {
    refund: {
      id: randomUUID(),
      paymentId: row.id,
      amountMinor: row.amountMinor,
      currency: row.currency,
      reason,
      providerRef: sandboxRefundReference(),
      createdAt: now,
    },
    payment: { ...row, status: 'refunded', version: row.version + 1, updatedAt: now },
    created: true,
  };
}
