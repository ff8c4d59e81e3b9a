import { z } from '@hono/zod-openapi';
import { currencySchema, MAX_AMOUNT_MINOR } from '../../../platform/money.ts';

// payments-service's HTTP API, v1: what its callers (the checkout saga's HTTP adapter, the
// facade through the ACL) send and receive. Deliberately not the legacy API's shape: snake_case
// fields, money as { amount_minor, currency }, its own status vocabulary, cursor pagination.

/** Money in integer minor units, never floats. */
export const amountSchema = z
  .object({
    amount_minor: z.number().int().min(0).max(MAX_AMOUNT_MINOR).openapi({ example: 1999 }),
    currency: currencySchema,
  })
  .openapi('PaymentAmount');
export type Amount = z.infer<typeof amountSchema>;

/** Nothing is charged for free: a capture of zero is a caller's bug. */
const chargeableSchema = amountSchema.refine((amount) => amount.amount_minor > 0, {
  message: 'must be greater than zero',
  path: ['amount_minor'],
});

// Orders and customers are other components' entities, referenced by their ids (uuids, as the
// payment.* events carry them).
export const orderRefSchema = z.uuid().openapi({
  description: 'The order this pays for; one payment per order_ref.',
  example: '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e',
});
export const customerRefSchema = z.uuid().openapi({
  description: 'Whose money it is: the id of the customer on the users side.',
  example: '5d0c9a47-1f3e-4b8a-9c2d-7e6f5a4b3c2d',
});

export const paymentIdSchema = z
  .uuid()
  .openapi({ example: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f' });

export const cardTokenSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
  .openapi({ example: 'tok_visa' });

/**
 * What to charge. `card`: a tokenised card. `customer_default`: the customer's default method
 * on file at the provider (what a legacy capture without a card token means); a source is
 * always named, never implied by a missing field.
 */
export const paymentSourceSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('card'), token: cardTokenSchema }),
    z.object({ type: z.literal('customer_default') }),
  ])
  .openapi('PaymentSource');
export type PaymentSource = z.infer<typeof paymentSourceSchema>;

export const createPaymentRequestSchema = z
  .object({
    order_ref: orderRefSchema,
    amount: chargeableSchema,
    source: paymentSourceSchema,
    customer_ref: customerRefSchema,
  })
  .openapi('CreatePaymentRequest');
export type CreatePaymentRequest = z.infer<typeof createPaymentRequestSchema>;

/**
 * - `authorized`: the charge was sent to the provider and its outcome is not recorded yet: it
 *   is at the provider now, or its answer never came (a timeout). Money may have been taken.
 *   The next capture of the same order_ref, or a refund, asks the provider again under the same
 *   reference and settles it; a capture never answers 201 with it.
 * - `captured`: the money was taken. `declined`: the provider refused; nothing was taken.
 * - `refunded`: it was given back in full.
 */
export const paymentStatuses = ['authorized', 'captured', 'declined', 'refunded'] as const;
export const paymentStatusSchema = z.enum(paymentStatuses).openapi('PaymentStatus');
export type PaymentStatus = z.infer<typeof paymentStatusSchema>;

export const paymentSchema = z
  .object({
    id: paymentIdSchema,
    order_ref: orderRefSchema,
    customer_ref: customerRefSchema,
    amount: amountSchema,
    status: paymentStatusSchema,
    /** Why the provider declined; only when status is declined. */
    decline_reason: z.string().optional(),
    /** The provider's id of the charge; only once something was charged. */
    provider_ref: z.string().optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi('PaymentV1');
export type PaymentV1 = z.infer<typeof paymentSchema>;

export const refundRequestSchema = z
  .object({
    reason: z.string().trim().min(1).max(500).openapi({ example: 'customer cancelled the order' }),
  })
  .openapi('CreateRefundRequest');
export type RefundRequest = z.infer<typeof refundRequestSchema>;

/** A refund gives the whole amount back; a payment has at most one. */
export const refundSchema = z
  .object({
    id: z.uuid(),
    payment_id: paymentIdSchema,
    amount: amountSchema,
    reason: z.string(),
    provider_ref: z.string().optional(),
    created_at: z.iso.datetime(),
    /** The payment as it is after the refund (status refunded), so no second call is needed. */
    payment: paymentSchema,
  })
  .openapi('Refund');
export type Refund = z.infer<typeof refundSchema>;

export const MAX_PAGE_LIMIT = 100;

export const listPaymentsQuerySchema = z.object({
  order_ref: orderRefSchema.optional(),
  customer_ref: customerRefSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(20),
  /** Opaque: the `next_cursor` of the page before. */
  cursor: z.string().min(1).max(500).optional(),
  /** `true`: the page carries `total_count` (it costs a count; ask only when needed). */
  include_total: z.enum(['true', 'false']).optional(),
});
export type ListPaymentsQuery = z.infer<typeof listPaymentsQuerySchema>;
/** What a caller sends (the limit may be left to its default). */
export type ListPaymentsRequest = Omit<ListPaymentsQuery, 'limit'> & { limit?: number };

/** Newest first (created_at, then id, both descending): a stable order for the cursor. */
export const paymentPageSchema = z
  .object({
    data: z.array(paymentSchema),
    /** Pass as `cursor` for the next page; null on the last one. */
    next_cursor: z.string().nullable(),
    /** Every payment the filters match, when `include_total=true` was asked. */
    total_count: z.number().int().optional(),
  })
  .openapi('PaymentPage');
export type PaymentPage = z.infer<typeof paymentPageSchema>;

/** The stable codes in a problem's `type` (`https://commerce.example/errors/<code>`). */
export const paymentErrorCodes = [
  'validation-failed',
  'payment-not-found',
  'order-already-paid',
  'refund-not-possible',
  'provider-unavailable',
  'payment-outcome-unknown',
  'capture-in-progress',
  'idempotency-key-reused',
  'idempotency-key-in-use',
  'forbidden',
] as const;
export type PaymentErrorCode = (typeof paymentErrorCodes)[number];

export const idempotencyKeyHeaderSchema = z.string().min(1).max(200).openapi({
  description:
    'Same key and same body: the first answer again (status and body). Same key, other body: 422 idempotency-key-reused. While the first is still running: 409 idempotency-key-in-use.',
  example: 'checkout-0b8c0b6e-capture',
});

/**
 * A dry run of `POST /v1/payments` or `POST /v1/payments/{id}/refunds` (what the facade sends
 * when it shadows a write): validated, authorized and answered as the real request would be,
 * with `X-Dry-Run: true` on the answer, but nothing is stored, published or charged, and no
 * Idempotency-Key is read or used up. The only value is `true`; any other is a 400.
 */
export const DRY_RUN_HEADER = 'X-Dry-Run';
export const dryRunHeaderSchema = z.literal('true').openapi({
  description:
    '`true`: a dry run. Answered as the real request would be (status, body, problem codes), with `X-Dry-Run: true`, but nothing is stored, published or charged, and no Idempotency-Key is read or used up. Ids of anything the request would create are fresh and name nothing.',
  example: 'true',
});
