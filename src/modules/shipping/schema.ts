import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Address, ShipmentItem } from './contracts.ts';
import { carriers, shipmentStatuses } from './contracts.ts';

/** The shipping module's own schema: one shipment per order. */
export const shipping = pgSchema('shipping');

export const shipments = shipping.table(
  'shipments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // The order and user live in other modules: referenced by id, no foreign key.
    // Unique, so two schedules for one order race into one row (insert … on conflict).
    orderId: uuid('order_id').notNull().unique('shipments_order_id_key'),
    userId: uuid('user_id').notNull(),
    status: text('status', { enum: shipmentStatuses }).notNull().default('scheduled'),
    carrier: text('carrier', { enum: carriers }).notNull(),
    trackingNumber: text('tracking_number').notNull().unique('shipments_tracking_number_key'),
    address: jsonb('address').$type<Address>().notNull(),
    items: jsonb('items').$type<ShipmentItem[]>().notNull(),
    cancelReason: text('cancel_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
  },
  (t) => [
    check('shipments_status_known', sql`${t.status} in ('scheduled', 'cancelled', 'shipped')`),
    check('shipments_carrier_known', sql`${t.carrier} in ('DHL', 'UPS', 'PostNL')`),
    check(
      'shipments_shipped_at_matches_status',
      sql`(${t.status} = 'shipped') = (${t.shippedAt} is not null)`,
    ),
    index('shipments_user_idx').on(t.userId),
  ],
);
