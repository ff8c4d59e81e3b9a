import {
  errorCodeOf,
  type FieldError,
  type Problem,
  problemType,
} from '../../src/platform/http/problem.ts';

// v1 problems → what the legacy payments API answers for the same refusal: its status, its
// RFC 9110 `type`, its title and detail, its field paths. Codes decide, never statuses.

/** Which legacy operation the facade translated; some refusals read differently per route. */
export type LegacyPaymentOperation = 'capture' | 'get' | 'list' | 'refund';

export interface LegacyAnswerContext {
  operation: LegacyPaymentOperation;
  /** The payment named in the legacy path (get, refund). */
  paymentId?: string;
  /** The order of a capture. */
  orderId?: string;
}

export interface LegacyProblemAnswer {
  status: number;
  problem: Problem;
  headers: Record<string, string>;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  503: 'Service Unavailable',
};

/** v1 field paths → the legacy request's (`json.amount.amount_minor` → `json.amount.amountMinor`). */
const fieldRenames: [RegExp, string][] = [
  [/^json\.order_ref/, 'json.orderId'],
  [/^json\.customer_ref/, 'json.userId'],
  [/^json\.amount\.amount_minor/, 'json.amount.amountMinor'],
  [/^json\.source\.token/, 'json.cardToken'],
  [/^json\.source/, 'json.cardToken'],
  [/^query\.order_ref/, 'query.orderId'],
  [/^query\.customer_ref/, 'query.userId'],
  [/^query\.limit/, 'query.pageSize'],
];

export function fieldPathFromV1(path: string): string {
  for (const [pattern, legacy] of fieldRenames) {
    if (pattern.test(path)) return path.replace(pattern, legacy);
  }
  return path;
}

const answer = (
  status: number,
  detail: string | undefined,
  headers: Record<string, string> = {},
  extra: { title?: string; errors?: FieldError[] } = {},
): LegacyProblemAnswer => ({
  status,
  problem: {
    type: problemType(status),
    title: extra.title ?? titles[status] ?? 'Error',
    status,
    ...(detail !== undefined && { detail }),
    ...(extra.errors && { errors: extra.errors }),
  },
  headers,
});

const retryAfter = (headers: Record<string, string>, fallback: string) => ({
  'Retry-After': headers['retry-after'] ?? headers['Retry-After'] ?? fallback,
});

/**
 * The legacy answer to a v1 problem. `headers` are the v1 answer's (Retry-After is carried
 * over). An unknown code keeps its status with the legacy type and the v1 detail.
 */
export function problemFromV1(
  problem: Problem,
  context: LegacyAnswerContext,
  headers: Record<string, string> = {},
): LegacyProblemAnswer {
  const code = errorCodeOf(problem.type);
  const order = context.orderId ?? 'of this payment';
  const payment = context.paymentId ?? '';
  switch (code) {
    case 'validation-failed': {
      const target = problem.errors?.[0]?.path.split('.')[0] ?? 'json';
      return answer(
        400,
        `The request ${target} is invalid.`,
        {},
        {
          title: 'Invalid request',
          errors: (problem.errors ?? []).map((error) => ({
            path: fieldPathFromV1(error.path),
            message: error.message,
          })),
        },
      );
    }
    case 'payment-not-found':
      return answer(404, `Payment ${payment} does not exist.`);
    case 'order-already-paid':
    // The facade keys a legacy capture by its order: another body under that key is another
    // payment for the order, which the legacy API calls a conflict.
    case 'idempotency-key-reused':
      return answer(409, `Order ${order} already has a different payment.`);
    case 'refund-not-possible':
      return answer(409, `Payment ${payment} failed, so there is nothing to refund.`);
    case 'forbidden':
      return answer(
        403,
        context.operation === 'list'
          ? "Only admins may list other users' payments."
          : 'This needs the admin role.',
      );
    case 'provider-unavailable':
      return answer(
        503,
        'The payment provider is unavailable; nothing was recorded. Try again shortly.',
        retryAfter(headers, '5'),
      );
    case 'payment-outcome-unknown':
      return answer(
        503,
        `The payment provider did not answer; whether order ${order} was charged is not known yet. Try again shortly: the same capture finishes it, and a refund gives back whatever was taken.`,
        retryAfter(headers, '5'),
      );
    // The legacy capture waits for a capture under way and then answers 503; a request still
    // running under the facade's key is that same wait.
    case 'capture-in-progress':
    case 'idempotency-key-in-use':
      return answer(
        503,
        `A capture of order ${order} is under way; try again shortly.`,
        retryAfter(headers, '1'),
      );
    default:
      return answer(problem.status, problem.detail, {
        ...(headers['retry-after'] && { 'Retry-After': headers['retry-after'] }),
      });
  }
}
