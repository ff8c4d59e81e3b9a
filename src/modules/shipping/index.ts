// The shipping module's public surface. Other code imports the module only through this file.
import { apiCallParser } from '../../platform/api-call.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import type { ShippingConfig } from './config.ts';
import {
  cancelReasonSchema,
  orderIdSchema,
  type ScheduleShipmentInput,
  type Shipment,
  scheduleShipmentSchema,
} from './contracts.ts';
import { shipmentCancelled, shipmentScheduled, shipmentShipped } from './events.ts';
import { shippingRoutes } from './routes.ts';
import { shipping } from './schema.ts';
import {
  cancelShipment,
  findShipment,
  markShipped,
  type ShippingDeps,
  scheduleShipment,
} from './service.ts';

export { type ShippingConfig, shippingConfig } from './config.ts';
export type {
  Address,
  Carrier,
  ScheduleShipmentInput,
  Shipment,
  ShipmentItem,
  ShipmentStatus,
} from './contracts.ts';
export { addressSchema } from './contracts.ts';
export * from './events.ts';

/** What other modules (orders' checkout saga) may ask of shipping, through their own ports. */
export interface ShippingApi {
  /**
   * Books a carrier and a tracking number. Idempotent per order: a repeat returns the first
   * shipment and publishes nothing. Throws ProblemError 422 when the address's country is not
   * served (config.SHIPPING_COUNTRIES), 400 for a malformed call.
   */
  schedule(input: ScheduleShipmentInput, context?: EventContext): Promise<Shipment>;
  /** Idempotent; undefined when the order has no shipment. Throws ProblemError 409 once shipped. */
  cancel(orderId: string, reason: string, context?: EventContext): Promise<Shipment | undefined>;
  getShipmentByOrder(orderId: string): Promise<Shipment | undefined>;
  /** Idempotent once shipped. Throws ProblemError 404 (no shipment) or 409 (cancelled). */
  markShipped(orderId: string, context?: EventContext): Promise<Shipment>;
}

const parse = apiCallParser('shipping');

const isOrderId = (id: string) => orderIdSchema.safeParse(id).success;

export function createShippingModule(context: ModuleContext<ShippingConfig>): Module<ShippingApi> {
  const deps: ShippingDeps = {
    db: context.db,
    events: context.events,
    countries: context.config.SHIPPING_COUNTRIES,
  };
  const { db, events } = deps;
  return defineModule<ShippingApi>({
    name: 'shipping',
    schema: shipping,
    routes: shippingRoutes(deps),
    publishes: [shipmentScheduled, shipmentCancelled, shipmentShipped],
    // Async throughout, so a bad call is a rejected promise like every other failure.
    api: {
      schedule: async (input, eventContext) => {
        const valid = parse(scheduleShipmentSchema, input);
        return db.transaction((tx) => scheduleShipment(tx, deps, valid, eventContext));
      },
      cancel: async (orderId, reason, eventContext) => {
        const validId = parse(orderIdSchema, orderId, 'orderId');
        const validReason = parse(cancelReasonSchema, reason, 'reason');
        return db.transaction((tx) =>
          cancelShipment(tx, events, validId, validReason, eventContext),
        );
      },
      // An id that is not a uuid names no order; it is not sent to Postgres.
      getShipmentByOrder: async (orderId) =>
        isOrderId(orderId) ? findShipment(db, orderId) : undefined,
      markShipped: async (orderId, eventContext) => {
        const valid = parse(orderIdSchema, orderId, 'orderId');
        return db.transaction((tx) => markShipped(tx, events, valid, eventContext));
      },
    },
  });
}
