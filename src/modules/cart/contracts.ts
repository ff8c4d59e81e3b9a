import { z } from '@hono/zod-openapi';

// What crosses the cart's boundary: REST inputs and outputs, what the cart sends to orders and
// reads from the catalog (through its ports). Every TypeScript type is inferred from these.

import { addressSchema } from '../../platform/address.ts';
import { moneySchema } from '../../platform/money.ts';

export type { Money } from '../../platform/money.ts';

/** One line holds at most this many units; the check constraint on cart_items agrees. */
export const MAX_LINE_QUANTITY = 1000;
/** What one order may carry (orders' MAX_LINES), so a full cart can still be checked out. */
export const MAX_CART_LINES = 50;
/** An empty cart has no currency of its own yet. */
export const DEFAULT_CURRENCY = 'EUR';

export const productIdSchema = z
  .uuid()
  .openapi({ example: '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e' });
export const userIdSchema = z.uuid();

export const addItemSchema = z
  .object({
    productId: productIdSchema,
    /** Added to the line's quantity when the product is already in the cart. */
    quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
  })
  .openapi('AddCartItem');
export type AddItemInput = z.infer<typeof addItemSchema>;

export const changeItemSchema = z
  .object({
    quantity: z
      .number()
      .int()
      .min(0)
      .max(MAX_LINE_QUANTITY)
      .openapi({ description: 'The new quantity; 0 removes the line.' }),
  })
  .openapi('ChangeCartItem');
export type ChangeItemInput = z.infer<typeof changeItemSchema>;

export const cartLineSchema = z
  .object({
    productId: productIdSchema,
    /** Name and unit price as they were when the line was last added to or changed. */
    name: z.string(),
    quantity: z.number().int(),
    unitPrice: moneySchema,
    lineTotal: moneySchema,
  })
  .openapi('CartLine');
export type CartLine = z.infer<typeof cartLineSchema>;

export const cartSchema = z
  .object({
    id: z.uuid(),
    items: z.array(cartLineSchema),
    total: moneySchema,
    itemCount: z.number().int().openapi({ description: 'Units in the cart, over all lines.' }),
  })
  .openapi('Cart');
export type Cart = z.infer<typeof cartSchema>;

// The cart validates the shipping address (the shared value type) before anything changes.
export type { Address as ShippingAddress } from '../../platform/address.ts';

export const checkoutSchema = z
  .object({
    shippingAddress: addressSchema,
    cardToken: z.string().trim().min(1).max(200).optional(),
  })
  .openapi('CartCheckout');
export type CheckoutInput = z.infer<typeof checkoutSchema>;

// As orders reads it: the key travels to orders unchanged.
export const idempotencyKeySchema = z.string().min(1).max(200);

// What the cart hands to orders and reads back (ports.ts).

export const orderLineSchema = z.object({
  productId: productIdSchema,
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const orderRequestSchema = z.object({
  userId: userIdSchema,
  items: z.array(orderLineSchema).min(1),
  shippingAddress: addressSchema,
  cardToken: z.string().optional(),
});
export type OrderRequest = z.infer<typeof orderRequestSchema>;

export const orderStatuses = ['pending', 'confirmed', 'cancelled', 'shipped'] as const;

/** The fields of an order the cart relies on; orders answers with more, passed on as they are. */
const placedOrderFields = z.object({
  id: z.uuid(),
  status: z.enum(orderStatuses),
  total: moneySchema,
  cancelReason: z.string().nullable(),
});
export type PlacedOrder = z.infer<typeof placedOrderFields>;

export const placedOrderSchema = placedOrderFields
  .loose()
  .openapi('CheckoutOrder', { description: 'The order, as the orders module answers it.' });

export const checkoutResultSchema = z
  .object({
    /** True when this Idempotency-Key had already placed the order. */
    replayed: z.boolean(),
    /** True when this very request emptied the cart (a confirmed order, first time). */
    cartEmptied: z.boolean(),
    order: placedOrderSchema,
  })
  .openapi('CartCheckoutResult');
export type CheckoutResult = Omit<z.infer<typeof checkoutResultSchema>, 'order'> & {
  order: PlacedOrder;
};

export const cartProductSchema = z.object({
  id: productIdSchema,
  name: z.string(),
  price: moneySchema,
  active: z.boolean(),
});
export type CartProduct = z.infer<typeof cartProductSchema>;
