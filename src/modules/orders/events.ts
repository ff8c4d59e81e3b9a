import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../platform/bus/event-contract.ts';
import { moneySchema } from '../../platform/money.ts';

export const orderPlaced = defineEvent({
  name: 'order.placed',
  version: 1,
  description: 'A customer placed an order; its checkout saga starts.',
  payload: z.object({
    orderId: z.uuid(),
    userId: z.uuid(),
    items: z.array(
      z.object({
        productId: z.uuid(),
        quantity: z.number().int().positive(),
        unitPrice: moneySchema,
      }),
    ),
    total: moneySchema,
  }),
});

export const orderConfirmed = defineEvent({
  name: 'order.confirmed',
  version: 1,
  description: 'Stock reserved, payment captured and shipment scheduled: the order stands.',
  payload: z.object({
    orderId: z.uuid(),
    userId: z.uuid(),
    total: moneySchema,
    paymentId: z.uuid(),
    shipmentId: z.uuid(),
  }),
});

export const orderCancelled = defineEvent({
  name: 'order.cancelled',
  version: 1,
  description:
    'The order was cancelled (a saga step failed, or on request); completed steps were compensated.',
  payload: z.object({ orderId: z.uuid(), userId: z.uuid(), reason: z.string() }),
});

export const orderShipped = defineEvent({
  name: 'order.shipped',
  version: 1,
  description: "The order's shipment left the warehouse.",
  payload: z.object({ orderId: z.uuid(), userId: z.uuid(), shipmentId: z.uuid() }),
});
