import { and, eq, sql } from 'drizzle-orm';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { commitWith } from '../../platform/db/commit-with.ts';
import type { Database, Executor, Transaction } from '../../platform/db/database.ts';
import { builtOnce, placeholders } from '../../platform/db/prepared.ts';
import { conflict, notFound, ProblemError } from '../../platform/http/problem.ts';
import { carrierFor, newTrackingNumber } from './carriers.ts';
import type { ScheduleShipmentInput, Shipment } from './contracts.ts';
import { shipmentCancelled, shipmentScheduled, shipmentShipped } from './events.ts';
import { shipments } from './schema.ts';

// Each use case runs on the caller's transaction, so its event goes out only if that commits.
// A shipment moves scheduled → cancelled or scheduled → shipped, never back; every move is a
// conditional update, so a cancel and a ship racing for one order queue on the row lock and
// exactly one of them wins.

/** What the shipping use cases run on. */
export interface ShippingDeps {
  db: Database;
  events: EventPublisher;
  /** ISO alpha-2 codes we deliver to (config.SHIPPING_COUNTRIES). */
  countries: readonly string[];
}

type ShipmentRow = typeof shipments.$inferSelect;

/** The one place a shipment row becomes the API's shape. */
export function toShipment(row: ShipmentRow): Shipment {
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    status: row.status,
    carrier: row.carrier,
    trackingNumber: row.trackingNumber,
    address: row.address,
    items: row.items,
    cancelReason: row.cancelReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    shippedAt: row.shippedAt?.toISOString() ?? null,
  };
}

const facts = (shipment: Shipment) => ({
  shipmentId: shipment.id,
  orderId: shipment.orderId,
  userId: shipment.userId,
});

export async function findShipment(db: Executor, orderId: string): Promise<Shipment | undefined> {
  const [row] = await db.select().from(shipments).where(eq(shipments.orderId, orderId));
  return row ? toShipment(row) : undefined;
}

/** Every order's shipment: built once. */
const insertShipment = builtOnce<
  Pick<
    typeof shipments.$inferInsert,
    'orderId' | 'userId' | 'carrier' | 'trackingNumber' | 'address' | 'items'
  >
>()((db) =>
  db
    .insert(shipments)
    .values(placeholders('orderId', 'userId', 'carrier', 'trackingNumber', 'address', 'items'))
    .onConflictDoNothing()
    .returning(),
);

/** A fresh tracking number can clash with an old one; that many draws make it hopeless. */
const TRACKING_ATTEMPTS = 5;

/**
 * Books a carrier for an order. Idempotent per order: the first schedule wins and a repeat
 * returns it unchanged, with no second event. Refused (422) when the address is in a country
 * we do not serve; that check comes first, so a refusal leaves no row and no event.
 * A first schedule ends the caller's transaction (`commitWith`): nothing may follow it there.
 */
export async function scheduleShipment(
  tx: Transaction,
  deps: Pick<ShippingDeps, 'events' | 'countries'>,
  input: ScheduleShipmentInput,
  context?: EventContext,
): Promise<Shipment> {
  const { country } = input.address;
  if (!deps.countries.includes(country)) {
    throw new ProblemError(422, `We do not ship to ${country}.`);
  }
  const carrier = carrierFor(country);
  for (let attempt = 0; attempt < TRACKING_ATTEMPTS; attempt += 1) {
    // No conflict target: a clash on order_id (a concurrent or earlier schedule) and one on
    // tracking_number both end here without aborting the transaction; the lookup tells which.
    // A concurrent insert for the same order makes this wait for its commit, so the lookup
    // below then sees the winner's row.
    const [inserted] = await insertShipment(tx, {
      orderId: input.orderId,
      userId: input.userId,
      carrier,
      trackingNumber: newTrackingNumber(carrier),
      address: input.address,
      items: input.items,
    });
    if (inserted) {
      const shipment = toShipment(inserted);
      // The event is the transaction's last statement: COMMIT goes with it.
      await commitWith(tx, () =>
        deps.events.publish(
          tx,
          shipmentScheduled,
          { ...facts(shipment), carrier, trackingNumber: shipment.trackingNumber },
          context,
        ),
      );
      return shipment;
    }
    const existing = await findShipment(tx, input.orderId);
    if (existing) return existing;
  }
  throw new Error(
    `No free tracking number for order ${input.orderId} after ${TRACKING_ATTEMPTS} draws.`,
  );
}

/**
 * Calls off a scheduled shipment. Idempotent: an already cancelled one is returned as it is
 * and shipment.cancelled goes out once. 409 once shipped; undefined when the order has none.
 */
export async function cancelShipment(
  tx: Transaction,
  events: EventPublisher,
  orderId: string,
  reason: string,
  context?: EventContext,
): Promise<Shipment | undefined> {
  const [cancelled] = await tx
    .update(shipments)
    .set({ status: 'cancelled', cancelReason: reason, updatedAt: sql`now()` })
    .where(and(eq(shipments.orderId, orderId), eq(shipments.status, 'scheduled')))
    .returning();
  if (cancelled) {
    const shipment = toShipment(cancelled);
    await events.publish(tx, shipmentCancelled, { ...facts(shipment), reason }, context);
    return shipment;
  }
  const existing = await findShipment(tx, orderId);
  if (existing?.status === 'shipped') {
    throw conflict(
      `The shipment of order ${orderId} has left the warehouse; it cannot be cancelled.`,
    );
  }
  return existing;
}

/**
 * The parcel left: scheduled → shipped. Idempotent for a shipped order; 409 when cancelled;
 * 404 when the order has no shipment.
 */
export async function markShipped(
  tx: Transaction,
  events: EventPublisher,
  orderId: string,
  context?: EventContext,
): Promise<Shipment> {
  const [shippedRow] = await tx
    .update(shipments)
    .set({ status: 'shipped', shippedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(shipments.orderId, orderId), eq(shipments.status, 'scheduled')))
    .returning();
  if (shippedRow) {
    const shipment = toShipment(shippedRow);
    await events.publish(
      tx,
      shipmentShipped,
      { ...facts(shipment), carrier: shipment.carrier, trackingNumber: shipment.trackingNumber },
      context,
    );
    return shipment;
  }
  const existing = await findShipment(tx, orderId);
  if (!existing) throw notFound(`Order ${orderId} has no shipment.`);
  if (existing.status === 'cancelled') {
    throw conflict(`The shipment of order ${orderId} was cancelled; it cannot be shipped.`);
  }
  return existing;
}
