import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../../platform/bus/event-contract.ts';
import { moneySchema } from '../../../platform/money.ts';

const paymentFacts = {
  paymentId: z.uuid(),
  orderId: z.uuid(),
  userId: z.uuid(),
  amount: moneySchema,
};

export const paymentCaptured = defineEvent({
  name: 'payment.captured',
  version: 1,
  description: "Money for an order was taken from the customer's card.",
  payload: z.object(paymentFacts),
});

export const paymentFailed = defineEvent({
  name: 'payment.failed',
  version: 1,
  description: 'The provider declined or failed the capture; nothing was charged.',
  payload: z.object({ ...paymentFacts, reason: z.string() }),
});

export const paymentRefunded = defineEvent({
  name: 'payment.refunded',
  version: 1,
  description: 'A captured payment was given back in full.',
  payload: z.object({ ...paymentFacts, refundId: z.uuid(), reason: z.string() }),
});
