import { randomBytes } from 'node:crypto';
import {
  type CreatePaymentRequest,
  type PaymentV1,
  paymentPageSchema,
  paymentSchema,
} from '../../contracts/payments/v1/index.ts';
import type { CaptureResult, PaymentGateway } from '../../modules/orders/index.ts';
import type { PaymentsApi } from '../../modules/payments/index.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { errorCodeOf, ProblemError, problemSchema } from '../../platform/http/problem.ts';
import {
  AnswerNeverCame,
  RequestNotSent,
  type ServiceAnswer,
  type ServiceClient,
  type ServiceRequest,
} from '../../platform/http/service-client.ts';
import { UpstreamFailed, type UpstreamPolicy } from '../../platform/resilience/upstream-policy.ts';
import type { Seam } from '../../platform/seams/seam.ts';

// Orders' PaymentGateway port and its adapters, side by side: the legacy payments module in
// this process, payments-service over HTTP, and the seam that chooses between them at runtime.

/** The adapters the payment-gateway seam chooses between. */
export const paymentGatewayAdapters = ['in-process', 'http'] as const;
export type PaymentGatewayAdapter = (typeof paymentGatewayAdapters)[number];

/**
 * The facade's route that owns payment captures: with the facade's toggle store as the seam's
 * source, the checkout saga's captures move with the clients' (one decision). Its legacy side is
 * the module in this process, its new side payments-service; in canary each order is bucketed
 * by its id, as the facade buckets a sticky key.
 */
export const paymentCaptureRoute = {
  routeId: 'payments.write.capture',
  sides: { legacy: 'in-process', new: 'http' },
  stickyKey: (orderId: string) => `order:${orderId}`,
} as const satisfies {
  routeId: string;
  sides: Record<'legacy' | 'new', PaymentGatewayAdapter>;
  stickyKey(orderId: string): string;
};

/** Orders' PaymentGateway port, answered by the legacy payments module in this process. */
export function inProcessPaymentGateway(
  payments: Pick<PaymentsApi, 'capture' | 'refund'>,
): PaymentGateway {
  return {
    async capture(request, context) {
      const payment = await payments.capture(request, context);
      if (payment.status === 'captured') return { status: 'captured', paymentId: payment.id };
      // Capture settles before it answers; a pending payment here is an unknown outcome.
      if (payment.status === 'pending') throw new Error(`payment ${payment.id} is still pending`);
      // Capture is idempotent per order: a payment already refunded is not money held.
      const reason =
        payment.status === 'refunded'
          ? 'the payment for this order was refunded'
          : (payment.failureReason ?? 'declined by the payment provider');
      return { status: 'declined', paymentId: payment.id, reason };
    },
    async refund(request, context) {
      await payments.refund(request, context);
    },
  };
}

/**
 * The seam: each order's payment goes through the adapter the seam names when the order first
 * reaches it, and stays there (its capture, the retries of a recovered saga, its refund), so a
 * switch mid-checkout never captures an order on one side and looks for it on the other.
 */
export function switchablePaymentGateway(
  seam: Seam<PaymentGatewayAdapter>,
  adapters: Record<PaymentGatewayAdapter, PaymentGateway>,
): PaymentGateway {
  return {
    async capture(request, context) {
      return adapters[await seam.pin(request.orderId)].capture(request, context);
    },
    async refund(request, context) {
      return adapters[await seam.pin(request.orderId)].refund(request, context);
    },
  };
}

/**
 * Orders' PaymentGateway port, answered by payments-service over HTTP. Every capture and refund
 * carries an Idempotency-Key derived from the order, so sending it again (a retry, a recovered
 * saga) gets the first answer and charges nothing twice. An answer that never came is not a
 * decline: the order's payment is looked up (order_ref) before the saga decides anything.
 */
export function httpPaymentGateway({
  client,
  policy,
}: {
  client: ServiceClient;
  policy: UpstreamPolicy;
}): PaymentGateway {
  const call = (request: ServiceRequest) =>
    policy.run(async () => {
      const answer = await client.call(request);
      // A server error with none of the service's codes is the service failing (its database
      // away, a bug): an outage. One with a code is an answer about the payment (problemFrom).
      if (answer.status >= 500 && errorCodeOfAnswer(answer) === undefined) {
        throw new UpstreamFailed(`payments-service answered ${answer.status} to ${request.path}`);
      }
      return answer;
    });

  /** The order's payment on the service side (one per order_ref), or undefined. */
  async function paymentOf(orderId: string): Promise<PaymentV1 | undefined> {
    const answer = await call({
      method: 'GET',
      path: '/v1/payments',
      query: { order_ref: orderId, limit: 1 },
    });
    if (answer.status !== 200) throw unexpected(answer, 'looking up a payment');
    return paymentPageSchema.parse(answer.body).data[0];
  }

  return {
    async capture(request, context) {
      const send = () =>
        call({
          method: 'POST',
          path: '/v1/payments',
          headers: { 'Idempotency-Key': `capture-${request.orderId}`, ...traceHeaders(context) },
          body: {
            order_ref: request.orderId,
            customer_ref: request.userId,
            amount: { amount_minor: request.amount.amountMinor, currency: request.amount.currency },
            source: request.cardToken
              ? { type: 'card', token: request.cardToken }
              : { type: 'customer_default' },
          } satisfies CreatePaymentRequest,
        });
      let answer: ServiceAnswer;
      try {
        answer = await send();
      } catch (error) {
        if (!(error instanceof AnswerNeverCame)) throw error;
        // Sent, unanswered: ask what became of it before anyone decides.
        const payment = await paymentOf(request.orderId);
        if (payment && payment.status !== 'authorized') return captureResult(payment);
        if (!payment) {
          // Nothing recorded: it never got through. An outage to retry, not a refusal.
          throw new RequestNotSent(`payments-service recorded no capture of ${request.orderId}`, {
            cause: error,
          });
        }
        throw error;
      }
      if (answer.status === 201 || answer.status === 200) {
        return captureResult(paymentSchema.parse(answer.body));
      }
      throw problemFrom(answer, `capturing order ${request.orderId}`);
    },

    async refund({ orderId, reason }, context) {
      const payment = await paymentOf(orderId);
      // Nothing taken, or already given back: nothing to do (as the in-process twin).
      if (!payment || payment.status === 'declined' || payment.status === 'refunded') return;
      let answer: ServiceAnswer;
      try {
        answer = await call({
          method: 'POST',
          path: `/v1/payments/${payment.id}/refunds`,
          headers: { 'Idempotency-Key': `refund-${orderId}`, ...traceHeaders(context) },
          body: { reason: reason.slice(0, 500) },
        });
      } catch (error) {
        if (!(error instanceof AnswerNeverCame)) throw error;
        if ((await paymentOf(orderId))?.status === 'refunded') return;
        throw error;
      }
      if (answer.status === 201 || answer.status === 200) return;
      // A pending capture that settled as "nothing charged" leaves nothing to refund.
      if (errorCodeOfAnswer(answer) === 'refund-not-possible') return;
      throw problemFrom(answer, `refunding order ${orderId}`);
    },
  };
}

function captureResult(payment: PaymentV1): CaptureResult {
  switch (payment.status) {
    case 'captured':
      return { status: 'captured', paymentId: payment.id };
    case 'declined':
      return {
        status: 'declined',
        paymentId: payment.id,
        reason: payment.decline_reason ?? 'declined by the payment provider',
      };
    case 'refunded':
      // Capture is idempotent per order: a payment already refunded is not money held.
      return {
        status: 'declined',
        paymentId: payment.id,
        reason: 'the payment for this order was refunded',
      };
    case 'authorized':
      throw new AnswerNeverCame(`payment ${payment.id} is still being settled`);
  }
}

function errorCodeOfAnswer(answer: ServiceAnswer): string | undefined {
  const parsed = problemSchema.safeParse(answer.body);
  return parsed.success ? errorCodeOf(parsed.data.type) : undefined;
}

const unexpected = (answer: ServiceAnswer, what: string) =>
  new UpstreamFailed(`payments-service answered ${answer.status} while ${what}`);

/**
 * What payments-service's coded problems mean to the saga, as the in-process module would have
 * thrown them: a refusal is a 4xx ProblemError; the provider out of reach, or an outcome not
 * known, a 503 (the step's outcome is uncertain); a capture still running, an outage to wait
 * out. A refusal of our own credentials (401, 403) is a fault of this deployment, never the
 * order's: an outage until it is fixed.
 */
function problemFrom(answer: ServiceAnswer, what: string): Error {
  const parsed = problemSchema.safeParse(answer.body);
  const detail = parsed.success
    ? (parsed.data.detail ?? parsed.data.title)
    : `HTTP ${answer.status}`;
  switch (parsed.success ? errorCodeOf(parsed.data.type) : undefined) {
    case 'order-already-paid':
    case 'idempotency-key-reused':
      return new ProblemError(409, detail);
    case 'validation-failed':
      return new ProblemError(400, detail);
    // As the legacy module answers them: the step's outcome is uncertain, so the saga
    // compensates, and the refund settles what the provider did.
    case 'provider-unavailable':
    case 'payment-outcome-unknown':
      return new ProblemError(503, detail, { headers: { 'Retry-After': '5' } });
    // The first capture of the order is still running: nothing to decide yet. The saga sends the
    // same capture again (same Idempotency-Key) and gets the first one's answer.
    case 'capture-in-progress':
    case 'idempotency-key-in-use':
      return new AnswerNeverCame(`payments-service is still capturing: ${detail}`);
    default:
      return new UpstreamFailed(
        `payments-service answered ${answer.status} while ${what}: ${detail}`,
      );
  }
}

/** The saga's trace travels on: the service's logs and events join the same trace. */
function traceHeaders(context: EventContext): Record<string, string> {
  return {
    ...(context.correlationId && { 'X-Request-ID': context.correlationId }),
    ...(context.traceId &&
      /^[0-9a-f]{32}$/.test(context.traceId) && {
        traceparent: `00-${context.traceId}-${randomBytes(8).toString('hex')}-01`,
      }),
  };
}
