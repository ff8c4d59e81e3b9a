import type { Logger } from 'pino';
import type { PaymentErrorCode } from '../../src/contracts/payments/v1/index.ts';
import { codedProblem, errorType, ProblemError } from '../../src/platform/http/problem.ts';

// Every refusal of payments-service, each with its stable code (the contract lists them).

const problem = (
  status: Parameters<typeof codedProblem>[0],
  code: PaymentErrorCode,
  detail: string,
  extra: Parameters<typeof codedProblem>[3] = {},
) => codedProblem(status, code, detail, extra);

/** The `type` of a 400 for input that fails the contract's schemas. */
export const VALIDATION_FAILED = errorType('validation-failed' satisfies PaymentErrorCode);

const RETRY_AFTER_SECONDS = '5';

export const paymentNotFound = (id: string) =>
  problem(404, 'payment-not-found', `Payment ${id} does not exist.`);

export const orderAlreadyPaid = (orderRef: string) =>
  problem(
    409,
    'order-already-paid',
    `Order ${orderRef} already has a payment for another amount or customer.`,
  );

export const refundNotPossible = (id: string, why: string) =>
  problem(409, 'refund-not-possible', `Payment ${id} cannot be refunded: ${why}.`);

export const forbidden = (detail: string) => problem(403, 'forbidden', detail);

export const invalidCursor = () =>
  new ProblemError(400, 'The cursor is not one this API gave out.', {
    type: VALIDATION_FAILED,
    errors: [{ path: 'query.cursor', message: 'not a cursor of this API' }],
  });

/** The provider refused before charging anything: nothing was recorded, a retry is safe. */
export function providerUnavailable(logger: Logger, error: unknown, what: string): ProblemError {
  logger.warn({ err: error }, `payment provider failed during ${what}`);
  const refused = problem(
    503,
    'provider-unavailable',
    'The payment provider is unavailable; nothing was recorded. Try again shortly.',
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  );
  refused.cause = error;
  return refused;
}

/**
 * The charge's answer never came: money may have been taken. The payment stays authorized; the
 * next capture of the order_ref or a refund asks the provider again.
 */
export function outcomeUnknown(logger: Logger, error: unknown, orderRef: string): ProblemError {
  logger.warn({ err: error, orderRef }, 'payment provider gave no answer to a charge');
  const unknown = problem(
    503,
    'payment-outcome-unknown',
    `The payment provider did not answer; whether order ${orderRef} was charged is not known yet. The same capture again finishes it; a refund gives back whatever was taken.`,
    { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
  );
  unknown.cause = error;
  return unknown;
}

export const captureInProgress = (orderRef: string) =>
  problem(
    503,
    'capture-in-progress',
    `A capture of order ${orderRef} is under way; try again shortly.`,
    {
      headers: { 'Retry-After': '1' },
    },
  );
