import { sql } from 'drizzle-orm';
import {
  boolean,
  char,
  check,
  index,
  integer,
  pgSchema,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { reservationStatuses } from './contracts.ts';

/** The catalog's own schema: products, their stock and the reservations held against it. */
export const catalog = pgSchema('catalog');

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const products = catalog.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Unique across archived products too: a SKU in an old event or order never means two things.
    sku: text('sku').notNull().unique('products_sku_key'),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    priceMinor: integer('price_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    active: boolean('active').notNull().default(true),
    ...timestamps,
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [
    check('products_price_non_negative', sql`${t.priceMinor} >= 0`),
    check('products_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    index('products_live_created_idx').on(t.createdAt).where(sql`${t.deletedAt} is null`),
    index('products_live_price_idx').on(t.priceMinor).where(sql`${t.deletedAt} is null`),
  ],
);

/** One row per product; available = on_hand - reserved, and never below zero. */
export const stock = catalog.table(
  'stock',
  {
    productId: uuid('product_id')
      .primaryKey()
      .references(() => products.id),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('stock_on_hand_non_negative', sql`${t.onHand} >= 0`),
    check('stock_reserved_non_negative', sql`${t.reserved} >= 0`),
    // The last line of defence against overselling, behind the conditional update.
    check('stock_reserved_within_on_hand', sql`${t.reserved} <= ${t.onHand}`),
  ],
);

/** Stock held for an order, one row per (order, product); the order lives in another module. */
export const reservations = catalog.table(
  'reservations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: reservationStatuses }).notNull().default('reserved'),
    releaseReason: text('release_reason'),
    ...timestamps,
  },
  (t) => [
    unique('reservations_order_product_key').on(t.orderId, t.productId),
    check('reservations_quantity_positive', sql`${t.quantity} > 0`),
    check('reservations_status_known', sql`${t.status} in ('reserved', 'released', 'committed')`),
  ],
);
