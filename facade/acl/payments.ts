import type {
  CreatePaymentRequest,
  PaymentState,
  PaymentStatus as PaymentStatusV1,
  PaymentV1,
  Refund,
  RefundRequest,
} from '../../src/contracts/payments/v1/index.ts';
import type {
  CapturePaymentBody,
  Payment,
  PaymentRecordSnapshot,
  PaymentStatus,
  RefundPaymentBody,
} from '../../src/modules/payments/index.ts';

// The anti-corruption layer of payments: pure functions between the legacy API (the monolith's
// /api/payments) and payments-service's v1, field by field. Errors: payments-errors.ts; pages:
// payments-pagination.ts.
//
//   legacy                          v1
//   id                              id
//   orderId                         order_ref
//   userId                          customer_ref (a capture: the legacy caller's id)
//   amount.amountMinor / currency   amount.amount_minor / currency
//   cardToken (absent)              source { type: 'card', token } ({ type: 'customer_default' })
//   status pending/captured/        status authorized/captured/
//          failed/refunded                 declined/refunded
//   failureReason (null)            decline_reason (absent)
//   providerReference (null)        provider_ref (absent)
//   createdAt / updatedAt           created_at / updated_at

const statusToV1: Record<PaymentStatus, PaymentStatusV1> = {
  pending: 'authorized',
  captured: 'captured',
  failed: 'declined',
  refunded: 'refunded',
};
const statusFromV1: Record<PaymentStatusV1, PaymentStatus> = {
  authorized: 'pending',
  captured: 'captured',
  declined: 'failed',
  refunded: 'refunded',
};

export const paymentStatusToV1 = (status: PaymentStatus): PaymentStatusV1 => statusToV1[status];
export const paymentStatusFromV1 = (status: PaymentStatusV1): PaymentStatus => statusFromV1[status];

/**
 * A legacy capture (`POST /api/payments`) as a v1 request. The legacy route books the payment
 * to whoever calls it, so `caller` (the signed-in legacy user) becomes customer_ref.
 */
export function captureRequestToV1(
  body: CapturePaymentBody,
  caller: { id: string },
): CreatePaymentRequest {
  return {
    order_ref: body.orderId,
    amount: { amount_minor: body.amount.amountMinor, currency: body.amount.currency },
    source:
      body.cardToken === undefined
        ? { type: 'customer_default' }
        : { type: 'card', token: body.cardToken },
    customer_ref: caller.id,
  };
}

/**
 * A legacy capture body as the client sent it (unknown JSON, not yet validated) as a v1 body:
 * each field renamed, values untouched, so payments-service validates exactly what the client
 * sent and its field errors map back (fieldPathFromV1). A body that is not an object passes as
 * it is and fails there as it would have here. A valid body translates as captureRequestToV1.
 */
export function captureBodyToV1(body: unknown, caller: { id: string }): unknown {
  if (!isObject(body)) return body;
  const { orderId, amount, cardToken } = body;
  return {
    ...(orderId !== undefined && { order_ref: orderId }),
    ...(amount !== undefined && {
      amount: isObject(amount)
        ? {
            ...(amount.amountMinor !== undefined && { amount_minor: amount.amountMinor }),
            ...(amount.currency !== undefined && { currency: amount.currency }),
          }
        : amount,
    }),
    source:
      cardToken === undefined ? { type: 'customer_default' } : { type: 'card', token: cardToken },
    customer_ref: caller.id,
  };
}

/** A legacy refund body as the client sent it, as a v1 body (the one field has one name). */
export const refundBodyToV1 = (body: unknown): unknown =>
  isObject(body) ? { ...(body.reason !== undefined && { reason: body.reason }) } : body;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The other way: a v1 capture as the legacy body and the caller it books the payment to. */
export function captureRequestFromV1(request: CreatePaymentRequest): {
  body: CapturePaymentBody;
  caller: { id: string };
} {
  return {
    body: {
      orderId: request.order_ref,
      amount: { amountMinor: request.amount.amount_minor, currency: request.amount.currency },
      ...(request.source.type === 'card' && { cardToken: request.source.token }),
    },
    caller: { id: request.customer_ref },
  };
}

/** `POST /api/payments/{id}/refund` `{ reason }` → `POST /v1/payments/{id}/refunds` `{ reason }`. */
export const refundRequestToV1 = (body: RefundPaymentBody): RefundRequest => ({
  reason: body.reason,
});
export const refundRequestFromV1 = (request: RefundRequest): RefundPaymentBody => ({
  reason: request.reason,
});

export function paymentFromV1(payment: PaymentV1): Payment {
  return {
    id: payment.id,
    orderId: payment.order_ref,
    userId: payment.customer_ref,
    amount: { amountMinor: payment.amount.amount_minor, currency: payment.amount.currency },
    status: paymentStatusFromV1(payment.status),
    failureReason: payment.decline_reason ?? null,
    providerReference: payment.provider_ref ?? null,
    createdAt: payment.created_at,
    updatedAt: payment.updated_at,
  };
}

export function paymentToV1(payment: Payment): PaymentV1 {
  return {
    id: payment.id,
    order_ref: payment.orderId,
    customer_ref: payment.userId,
    amount: { amount_minor: payment.amount.amountMinor, currency: payment.amount.currency },
    status: paymentStatusToV1(payment.status),
    ...(payment.failureReason !== null && { decline_reason: payment.failureReason }),
    ...(payment.providerReference !== null && { provider_ref: payment.providerReference }),
    created_at: payment.createdAt,
    updated_at: payment.updatedAt,
  };
}

/**
 * The legacy refund answers the refunded payment (200), whether refunded now (v1 201) or
 * before (v1 200); v1's refund carries that payment.
 */
export const refundResponseFromV1 = (refund: Refund): { status: 200; body: Payment } => ({
  status: 200,
  body: paymentFromV1(refund.payment),
});

/** A legacy capture answers 201 with the payment, as v1 does. */
export const captureResponseFromV1 = (payment: PaymentV1): { status: 201; body: Payment } => ({
  status: 201,
  body: paymentFromV1(payment),
});

/**
 * A settled legacy payment with its refund and version (what extract:backfill copies and
 * extract:verify compares) as payment.changed carries it, in v1's vocabulary.
 */
export function paymentSnapshotToV1(snapshot: PaymentRecordSnapshot): PaymentState {
  const { status, ...payment } = paymentToV1(snapshot.payment);
  if (status === 'authorized') throw new Error(`payment ${payment.id} is not settled`);
  const { refund } = snapshot;
  return {
    payment: {
      ...payment,
      status,
      ...(snapshot.cardLast4 !== null && { card_last4: snapshot.cardLast4 }),
    },
    refund: refund && {
      id: refund.id,
      amount: { amount_minor: refund.amount.amountMinor, currency: refund.amount.currency },
      reason: refund.reason,
      ...(refund.providerReference !== null && { provider_ref: refund.providerReference }),
      created_at: refund.createdAt,
    },
    version: snapshot.version,
  };
}
