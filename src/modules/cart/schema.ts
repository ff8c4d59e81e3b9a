import { sql } from 'drizzle-orm';
import {
  char,
  check,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import type { OrderLine } from './contracts.ts';

/** The cart's own schema: one cart per user, its lines, and the checkouts that emptied it. */
export const cart = pgSchema('cart');

export const carts = cart.table('carts', {
  id: uuid('id').primaryKey().defaultRandom(),
  // The user lives in the users module: referenced by id only.
  userId: uuid('user_id').notNull().unique('carts_user_id_key'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A line: the product (by id, it lives in catalog) with its name and price as last seen. */
export const cartItems = cart.table(
  'cart_items',
  {
    cartId: uuid('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceMinor: integer('unit_price_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    name: text('name').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'cart_items_cart_product_pkey', columns: [t.cartId, t.productId] }),
    check('cart_items_quantity_range', sql`${t.quantity} between 1 and 1000`),
    check('cart_items_price_non_negative', sql`${t.unitPriceMinor} >= 0`),
    check('cart_items_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * A checkout whose order was confirmed and whose lines left the cart. It makes a replayed
 * Idempotency-Key find its order again (and never empty the cart twice).
 */
export const checkouts = cart.table(
  'checkouts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cartId: uuid('cart_id')
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    orderId: uuid('order_id').notNull().unique('checkouts_order_id_key'),
    /** The lines as ordered: a replay sends orders the same input again. */
    items: jsonb('items').$type<OrderLine[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('checkouts_user_key_key').on(t.userId, t.idempotencyKey)],
);
