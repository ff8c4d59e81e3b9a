import { z } from '@hono/zod-openapi';
import { moneySchema } from '../../platform/money.ts';

// What crosses the payments boundary: REST inputs and outputs and the API other modules call.
// Every TypeScript type below is inferred from these schemas.

export type { Money } from '../../platform/money.ts';

export const paymentIdSchema = z
  .uuid()
  .openapi({ example: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f' });

export const orderIdSchema = z.uuid().openapi({ example: '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e' });

/**
 * `pending`: a capture is at the provider, or was interrupted there (the next capture or
 * refund of the order finishes it); it becomes `captured` or `failed`.
 */
export const paymentStatuses = ['pending', 'captured', 'failed', 'refunded'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const paymentSchema = z
  .object({
    id: paymentIdSchema,
    orderId: orderIdSchema,
    userId: z.uuid(),
    amount: moneySchema,
    status: z.enum(paymentStatuses),
    /** Why the provider declined; null unless status is failed. */
    failureReason: z.string().nullable(),
    /** The provider's id of the charge; null when nothing was charged. */
    providerReference: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Payment');
export type Payment = z.infer<typeof paymentSchema>;

/** Nothing is charged for free: a capture of zero is a caller's bug. */
const chargeableSchema = moneySchema.refine((money) => money.amountMinor > 0, {
  message: 'must be greater than zero',
  path: ['amountMinor'],
});

export const cardTokenSchema = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
  .openapi({ example: 'tok_visa' });

export const capturePaymentBodySchema = z
  .object({
    orderId: orderIdSchema,
    amount: chargeableSchema,
    cardToken: cardTokenSchema.optional(),
  })
  .openapi('CapturePayment');
export type CapturePaymentBody = z.infer<typeof capturePaymentBodySchema>;

/** What other modules pass: the REST body plus whose money it is. */
export const capturePaymentSchema = capturePaymentBodySchema.extend({ userId: z.uuid() });
export type CapturePaymentInput = z.infer<typeof capturePaymentSchema>;

export const refundReasonSchema = z.string().trim().min(1).max(500);

export const refundPaymentBodySchema = z
  .object({ reason: refundReasonSchema.openapi({ example: 'customer cancelled the order' }) })
  .openapi('RefundPayment');
export type RefundPaymentBody = z.infer<typeof refundPaymentBodySchema>;

export const refundPaymentSchema = z.object({ orderId: orderIdSchema, reason: refundReasonSchema });
export type RefundPaymentInput = z.infer<typeof refundPaymentSchema>;

export const listPaymentsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  /** The payment of one order. */
  orderId: orderIdSchema.optional(),
  /** Admins only: whose payments to list (default: the caller's own; an admin's default is all). */
  userId: z.uuid().optional(),
});
export type ListPaymentsQuery = z.infer<typeof listPaymentsQuerySchema>;

export const paymentPageSchema = z
  .object({
    items: z.array(paymentSchema),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  })
  .openapi('PaymentPage');
export type PaymentPage = z.infer<typeof paymentPageSchema>;

export const paymentStatsSchema = z.object({
  captured: z.number().int(),
  refunded: z.number().int(),
  failed: z.number().int(),
  /** Money currently held (status captured), one sum per currency. */
  capturedAmounts: z.array(moneySchema),
});
export type PaymentStats = z.infer<typeof paymentStatsSchema>;
