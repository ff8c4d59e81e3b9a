import { z } from '@hono/zod-openapi';

// What crosses the orders module's boundary: REST inputs and outputs and the API other modules
// call. Every TypeScript type below is inferred from these schemas.

import { addressSchema } from '../../platform/address.ts';
import { moneySchema } from '../../platform/money.ts';

export { type Address, addressSchema } from '../../platform/address.ts';
export type { Money } from '../../platform/money.ts';

export const orderIdSchema = z.uuid().openapi({ example: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' });

export const orderStatuses = ['pending', 'confirmed', 'cancelled', 'shipped'] as const;
export const orderStatusSchema = z.enum(orderStatuses).openapi('OrderStatus');
export type OrderStatus = z.infer<typeof orderStatusSchema>;

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1000;

export const orderLineInputSchema = z.object({
  productId: z.uuid(),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
});
export type OrderLineInput = z.infer<typeof orderLineInputSchema>;

export const placeOrderBodySchema = z
  .object({
    items: z.array(orderLineInputSchema).min(1).max(MAX_LINES),
    shippingAddress: addressSchema,
    /** A payment-provider token for the customer's card; never a card number. */
    cardToken: z.string().trim().min(1).max(200).optional().openapi({ example: 'tok_visa' }),
  })
  .openapi('PlaceOrder');
export type PlaceOrderBody = z.infer<typeof placeOrderBodySchema>;

/** What `placeOrder` takes: the body plus who places it. */
export const placeOrderInputSchema = placeOrderBodySchema.extend({ userId: z.uuid() });
export type PlaceOrderInput = z.infer<typeof placeOrderInputSchema>;

export const idempotencyKeySchema = z.string().min(1).max(200);

export const orderItemSchema = z
  .object({
    productId: z.uuid(),
    name: z.string(),
    quantity: z.number().int(),
    unitPrice: moneySchema,
    lineTotal: moneySchema,
  })
  .openapi('OrderItem');
export type OrderItem = z.infer<typeof orderItemSchema>;

export const orderSchema = z
  .object({
    id: orderIdSchema,
    userId: z.uuid(),
    status: orderStatusSchema,
    items: z.array(orderItemSchema),
    total: moneySchema,
    shippingAddress: addressSchema,
    cancelReason: z.string().nullable(),
    paymentId: z.string().nullable(),
    shipmentId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Order');
export type Order = z.infer<typeof orderSchema>;

export const placementSchema = z.object({
  /** True when this Idempotency-Key had already placed the order; `order` is that first answer. */
  replayed: z.boolean(),
  order: orderSchema,
});
export type Placement = z.infer<typeof placementSchema>;

export const historyEntrySchema = z
  .object({
    // A union, not .nullable(): on a named schema zod-to-openapi emits `allOf: [$ref, null]`,
    // which null can never satisfy (asteasolutions/zod-to-openapi#387).
    from: z.union([orderStatusSchema, z.null()]),
    to: orderStatusSchema,
    /** The order.* event the change published. */
    event: z.string(),
    /** What made it happen: the checkout saga, the customer, an admin, a shipment. */
    cause: z.string(),
    detail: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .openapi('OrderHistoryEntry');
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const orderHistorySchema = z
  .object({ orderId: orderIdSchema, entries: z.array(historyEntrySchema) })
  .openapi('OrderHistory');
export type OrderHistory = z.infer<typeof orderHistorySchema>;

export const orderSummarySchema = z
  .object({
    id: orderIdSchema,
    userId: z.uuid(),
    status: orderStatusSchema,
    total: moneySchema,
    /** Units ordered, over all lines. */
    itemCount: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('OrderSummary');
export type OrderSummary = z.infer<typeof orderSummarySchema>;

export const listOrdersQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  /** Admins only: whose orders to list (default: the caller's own). */
  userId: z.uuid().optional(),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuerySchema>;

export const orderPageSchema = z
  .object({
    items: z.array(orderSummarySchema),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  })
  .openapi('OrderPage');
export type OrderPage = z.infer<typeof orderPageSchema>;

export const orderStatsSchema = z.object({
  orders: z.number().int(),
  confirmed: z.number().int(),
  cancelled: z.number().int(),
  shipped: z.number().int(),
  /** Totals of confirmed and shipped orders, one sum per currency. */
  revenue: z.array(moneySchema),
});
export type OrderStats = z.infer<typeof orderStatsSchema>;

// The checkout saga's vocabulary, persisted per order.

export const sagaSteps = [
  'reserve_stock',
  'capture_payment',
  'schedule_shipment',
  'confirm',
] as const;
export type SagaStepName = (typeof sagaSteps)[number];

export const stepStatuses = ['started', 'succeeded', 'failed', 'compensated'] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** running → completed, or running → compensating → compensated (a customer cancel reopens). */
export const sagaStates = ['running', 'compensating', 'completed', 'compensated'] as const;
export type SagaState = (typeof sagaStates)[number];
