import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  type Address,
  type Order,
  orderStatuses,
  type SagaStepName,
  sagaStates,
  stepStatuses,
} from './contracts.ts';

/** The orders module's own schema: orders (write model), saga state, history, read model. */
export const orders = pgSchema('orders');

const at = (name: string) => timestamp(name, { withTimezone: true });
const statusCheck = (name: string, column: string, values: readonly string[]) =>
  check(name, sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`));

export const orderRecords = orders.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    status: text('status', { enum: orderStatuses }).notNull(),
    totalMinor: integer('total_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    shippingAddress: jsonb('shipping_address').$type<Address>().notNull(),
    cancelReason: text('cancel_reason'),
    paymentId: text('payment_id'),
    shipmentId: text('shipment_id'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    statusCheck('orders_status_known', 'status', orderStatuses),
    check('orders_total_non_negative', sql`${t.totalMinor} >= 0`),
    index('orders_user_created_idx').on(t.userId, t.createdAt),
  ],
);

/** The price snapshot taken at placement, one row per line as the customer sent it. */
export const orderItems = orders.table(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orderRecords.id),
    lineNo: integer('line_no').notNull(),
    productId: uuid('product_id').notNull(),
    name: text('name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceMinor: integer('unit_price_minor').notNull(),
    lineTotalMinor: integer('line_total_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.lineNo] }),
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

/** Every state change of an order, written in the transaction that makes it. */
export const orderHistory = orders.table(
  'order_history',
  {
    // An identity, so entries written within one clock tick still read back in order.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orderRecords.id),
    fromStatus: text('from_status', { enum: orderStatuses }),
    toStatus: text('to_status', { enum: orderStatuses }).notNull(),
    event: text('event').notNull(),
    cause: text('cause').notNull(),
    detail: text('detail'),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('order_history_order_idx').on(t.orderId, t.id)],
);

/**
 * Idempotency-Key per user. Inserted in the placement transaction, so two concurrent requests
 * with one key cannot both create an order; `response` is the first answer, kept for replays.
 */
export const idempotencyKeys = orders.table(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orderRecords.id),
    response: jsonb('response').$type<Order>(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    // What retention looks for: keys by age, answered or not (it keeps those of unfinished sagas).
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

/**
 * One checkout saga per order. Whoever drives it holds a lease (owner + expiry, renewed with
 * every step written); a crashed process's lease lapses and recovery claims the saga.
 */
export const checkoutSagas = orders.table(
  'checkout_sagas',
  {
    orderId: uuid('order_id')
      .primaryKey()
      .references(() => orderRecords.id),
    state: text('state', { enum: sagaStates }).notNull().default('running'),
    /** Why the saga is compensating: the order's cancel reason, and who caused it. */
    failure: text('failure'),
    failureCause: text('failure_cause'),
    /** Needed to capture after a crash; wiped once the saga is finished. */
    cardToken: text('card_token'),
    /** The placing request's ids, so a recovered saga's events stay in its chain. */
    correlationId: text('correlation_id'),
    traceId: text('trace_id'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: at('lease_expires_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
  },
  (t) => [
    statusCheck('checkout_sagas_state_known', 'state', sagaStates),
    index('checkout_sagas_unfinished_idx').on(t.leaseExpiresAt).where(sql`${t.finishedAt} is null`),
  ],
);

/** Each step's outcome, with when it started, succeeded, failed and was compensated. */
export const sagaSteps = orders.table(
  'saga_steps',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => checkoutSagas.orderId),
    step: text('step').$type<SagaStepName>().notNull(),
    status: text('status', { enum: stepStatuses }).notNull(),
    detail: text('detail'),
    /** It threw without a definite answer: its effect may have happened, so it is compensated too. */
    uncertain: boolean('uncertain').notNull().default(false),
    startedAt: at('started_at').notNull().defaultNow(),
    succeededAt: at('succeeded_at'),
    failedAt: at('failed_at'),
    compensatedAt: at('compensated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.step] }),
    statusCheck('saga_steps_status_known', 'status', stepStatuses),
  ],
);

/**
 * The read model behind GET /api/orders, written only by this module's order.* subscribers.
 * `status_rank` orders the statuses (an order only moves up), so a late event cannot undo a
 * newer one. Columns only order.placed carries stay null until it arrives.
 */
export const orderSummaries = orders.table(
  'order_summaries',
  {
    orderId: uuid('order_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    status: text('status', { enum: orderStatuses }).notNull(),
    statusRank: integer('status_rank').notNull(),
    totalMinor: integer('total_minor'),
    currency: char('currency', { length: 3 }),
    itemCount: integer('item_count'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [index('order_summaries_user_created_idx').on(t.userId, t.createdAt)],
);
