import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../../platform/bus/event-contract.ts';
import { amountSchema, customerRefSchema, orderRefSchema, paymentIdSchema } from './api.ts';

// What keeps the two payments implementations (the legacy module and payments-service) in step
// while both live: the whole settled state of one payment after every change, in v1's
// vocabulary, with its version. A receiver upserts it where its own copy is older, so a
// redelivery, a reordering or an echo changes nothing.

/** The settled statuses: an `authorized` payment is not replicated until it has its outcome. */
export const replicatedStatuses = ['captured', 'declined', 'refunded'] as const;

export const replicatedPaymentSchema = z.object({
  id: paymentIdSchema,
  order_ref: orderRefSchema,
  customer_ref: customerRefSchema,
  amount: amountSchema,
  status: z.enum(replicatedStatuses),
  decline_reason: z.string().optional(),
  provider_ref: z.string().optional(),
  /** The card's last 4 (support only); absent for the customer's default method. */
  card_last4: z.string().optional(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const replicatedRefundSchema = z.object({
  id: z.uuid(),
  amount: amountSchema,
  reason: z.string(),
  provider_ref: z.string().optional(),
  created_at: z.iso.datetime(),
});

export const paymentStateSchema = z.object({
  payment: replicatedPaymentSchema,
  refund: replicatedRefundSchema.nullable(),
  /** Raised by one with every change on either side; the newer version wins. */
  version: z.number().int().positive(),
});
export type PaymentState = z.infer<typeof paymentStateSchema>;

export const paymentChanged = defineEvent({
  name: 'payment.changed',
  version: 1,
  description:
    'Replication between the two payments implementations (the legacy module and payments-service): the full settled state of one payment and its version. Business consumers use payment.captured, payment.failed and payment.refunded.',
  payload: paymentStateSchema,
});
