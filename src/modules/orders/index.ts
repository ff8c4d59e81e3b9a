// The orders module's public surface. Other code imports the module only through this file.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { apiCallParser } from '../../platform/api-call.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import type { OrdersConfig } from './config.ts';
import {
  idempotencyKeySchema,
  type Order,
  type OrderStats,
  orderIdSchema,
  type Placement,
  type PlaceOrderInput,
  placeOrderInputSchema,
} from './contracts.ts';
import type { OrdersDeps } from './deps.ts';
import { orderCancelled, orderConfirmed, orderPlaced, orderShipped } from './events.ts';
import { pruneIdempotencyKeys } from './idempotency-retention.ts';
import { findOrder } from './order-records.ts';
import { placeOrder } from './place-order.ts';
import type { OrdersPorts } from './ports.ts';
import { readModelSubscriptions } from './read-model.ts';
import { ordersRoutes } from './routes.ts';
import { startRecoveryLoop } from './saga-recovery.ts';
import { orders } from './schema.ts';
import { getOrderStats } from './service.ts';
import { shipOnShipmentShipped } from './shipment-shipped.ts';

export { type OrdersConfig, ordersConfig } from './config.ts';
export type {
  Address,
  Money,
  Order,
  OrderItem,
  OrderStats,
  OrderStatus,
  Placement,
  PlaceOrderInput,
} from './contracts.ts';
export * from './events.ts';
export type {
  CaptureRequest,
  CaptureResult,
  Inventory,
  OrdersPorts,
  PaymentGateway,
  PricedProduct,
  ProductPricing,
  ShipmentRequest,
  ShippingScheduler,
  StockLine,
} from './ports.ts';

/** What other modules (cart, the dashboard) may ask of orders, through their own ports. */
export interface OrdersApi {
  /**
   * Places the order and runs its checkout saga to the end; idempotent per (user, key): the
   * same key and input answer the first result (replayed: true), other input throws
   * ProblemError 422. A failed saga answers a cancelled order with its reason. Bad input
   * throws 400; a product not for sale 409.
   */
  placeOrder(
    input: PlaceOrderInput,
    idempotencyKey: string,
    context?: EventContext,
  ): Promise<Placement>;
  getOrder(id: string): Promise<Order | undefined>;
  stats(): Promise<OrderStats>;
}

export interface OrdersOptions {
  /** How long a saga claim lasts without progress; a crashed process's sagas wait this long. */
  sagaLeaseMs?: number;
  /** How often start()'s recovery sweep looks again for orphaned sagas; 0 disables the sweep. */
  recoveryIntervalMs?: number;
  /** How long a compensation that failed waits before it is retried. */
  sagaRetryDelayMs?: number;
  /**
   * How long a checkout retries a step through an outage of our own infrastructure (the
   * database unreachable) before it answers 503 and leaves the saga to recovery.
   */
  sagaOutageRetryMs?: number;
  /** How long a duplicate request waits for the first one before answering 409. */
  replayWaitMs?: number;
}

const parse = apiCallParser('orders');

export function createOrdersModule(
  context: ModuleContext<OrdersConfig>,
  ports: OrdersPorts,
  options: OrdersOptions = {},
): Module<OrdersApi> {
  const deps: OrdersDeps = {
    db: context.db,
    events: context.events,
    logger: context.logger,
    ports,
    saga: {
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      leaseMs: options.sagaLeaseMs ?? 30_000,
      retryDelayMs: options.sagaRetryDelayMs ?? 5_000,
      crashAfter: context.config.SAGA_CRASH_AFTER,
      replayWaitMs: options.replayWaitMs ?? 5_000,
      outageRetryMs: options.sagaOutageRetryMs ?? 10_000,
    },
    driving: new Set(),
  };
  const recovery = startRecoveryLoop(deps, options.recoveryIntervalMs ?? 10_000);
  return defineModule<OrdersApi>({
    name: 'orders',
    schema: orders,
    routes: ordersRoutes(deps),
    publishes: [orderPlaced, orderConfirmed, orderCancelled, orderShipped],
    subscriptions: [
      ...readModelSubscriptions,
      shipOnShipmentShipped(context.events, context.logger),
    ],
    // Finishes (or undoes) every checkout a crashed process left halfway, then keeps watching;
    // start() does not wait for that, so the monolith serves while recovery runs.
    start: () => recovery.start(),
    stop: () => recovery.stop(),
    prune: (olderThanMs, limit) => pruneIdempotencyKeys(context.db, olderThanMs, limit),
    api: {
      placeOrder: async (input, idempotencyKey, eventContext) =>
        placeOrder(
          deps,
          parse(placeOrderInputSchema, input),
          parse(idempotencyKeySchema, idempotencyKey, 'idempotencyKey'),
          eventContext,
        ),
      getOrder: async (id) =>
        orderIdSchema.safeParse(id).success ? findOrder(context.db, id) : undefined,
      stats: () => getOrderStats(context.db),
    },
  });
}
