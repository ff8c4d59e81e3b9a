import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import { arrayLiteral, builtOnce, placeholders } from '../../platform/db/prepared.ts';
import { conflict, notFound } from '../../platform/http/problem.ts';
import type { Reservation, ReserveStockInput, StockItem } from './contracts.ts';
import { stockReleased, stockReserved } from './events.ts';
import { products, reservations, stock } from './schema.ts';

// Stock moves in three steps per order: reserve (available → reserved), then either release
// (reserved → available) or commit (reserved leaves on hand: the goods are gone).
// Each function runs on the caller's transaction, so its events go out only if that commits.

/** Namespaces the advisory locks taken per order id (two-key form: no clash with bigint keys). */
const RESERVATION_LOCK_CLASS = 4_201;

/** One line per product (quantities of repeated products summed), in product id order. */
function mergeItems(items: readonly StockItem[]): StockItem[] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) {
    totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  }
  return [...totals]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

const sameItems = (a: readonly StockItem[], b: readonly StockItem[]) =>
  a.length === b.length &&
  a.every((item, i) => item.productId === b[i]?.productId && item.quantity === b[i]?.quantity);

const reservationOf = builtOnce<{ orderId: string }>()((db) =>
  db
    .select({
      productId: reservations.productId,
      quantity: reservations.quantity,
      status: reservations.status,
    })
    .from(reservations)
    .where(eq(reservations.orderId, sql.placeholder('orderId')))
    .orderBy(asc(reservations.productId)),
);

export async function findReservation(
  db: Executor,
  orderId: string,
): Promise<Reservation | undefined> {
  const rows = await reservationOf(db, { orderId });
  const first = rows[0];
  if (!first) return undefined;
  return {
    orderId,
    // An order's lines only ever change status together.
    status: first.status,
    items: rows.map(({ productId, quantity }) => ({ productId, quantity })),
  };
}

const lockOrder = builtOnce<{ orderId: string }>()(
  () =>
    sql`select pg_advisory_xact_lock(${RESERVATION_LOCK_CLASS}::int, hashtext(${sql.placeholder('orderId')}))`,
);

// A reservation's statements, built once: every checkout runs them. The ids go as one array
// literal, so the statement's text is the same whatever their count.
const liveProducts = builtOnce<{ ids: string }>()((db) =>
  db
    .select({ id: products.id, sku: products.sku, active: products.active })
    .from(products)
    .where(
      and(sql`${products.id} = any(${sql.placeholder('ids')}::uuid[])`, isNull(products.deletedAt)),
    ),
);
const claimLine = builtOnce<{ orderId: string; productId: string; quantity: number }>()((db) =>
  db
    .insert(reservations)
    .values(placeholders('orderId', 'productId', 'quantity'))
    .onConflictDoNothing({ target: [reservations.orderId, reservations.productId] })
    .returning({ id: reservations.id }),
);
// The check and the increment are one statement: concurrent reservations queue on the row
// lock and re-evaluate the condition, so stock never oversells.
const takeStock = builtOnce<{ productId: string; quantity: number }>()((db) =>
  db
    .update(stock)
    .set({
      reserved: sql`${stock.reserved} + ${sql.placeholder('quantity')}::int`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(stock.productId, sql.placeholder('productId')),
        sql`${stock.onHand} - ${stock.reserved} >= ${sql.placeholder('quantity')}::int`,
      ),
    )
    .returning({ productId: stock.productId }),
);

/**
 * Reserves every item or none (any failure throws and the transaction rolls back).
 * Idempotent per order: a second call returns the first reservation and moves no stock.
 * Every product is checked before any stock moves: unknown or archived product → 404,
 * inactive → 409; then short stock → 409.
 */
export async function reserveStock(
  tx: Transaction,
  events: EventPublisher,
  input: ReserveStockInput,
  context?: EventContext,
): Promise<Reservation> {
  const { orderId } = input;
  const items = mergeItems(input.items);
  // Two calls for the same order wait for each other, so the second sees the first's rows: the
  // reads go out with the lock, behind it (statements built once go out in the order they are
  // called), and the server runs them only once it holds the lock.
  const ids = arrayLiteral(items.map((item) => item.productId));
  const [, existing, found] = await Promise.all([
    lockOrder(tx, { orderId }),
    findReservation(tx, orderId),
    liveProducts(tx, { ids }),
  ]);
  if (existing) {
    if (!sameItems(existing.items, items)) {
      throw conflict(`Order ${orderId} already holds a reservation for different items.`);
    }
    return existing;
  }

  const byId = new Map(found.map((product) => [product.id, product]));
  const lines = items.map((item) => {
    const product = byId.get(item.productId);
    if (!product) throw notFound(`Product ${item.productId} does not exist.`);
    if (!product.active) {
      throw conflict(`Product ${product.sku} (${item.productId}) is not for sale.`);
    }
    return { ...item, sku: product.sku };
  });

  // Every line's claim and stock move, and the event, go out together and run in this order
  // (product id order everywhere, so two multi-item reservations never deadlock on stock rows;
  // statements built once go out in the order they are called). A line that cannot be had
  // throws below, and the transaction takes it all back.
  const [moves] = await Promise.all([
    Promise.all(
      lines.map(({ productId, quantity }) =>
        Promise.all([
          claimLine(tx, { orderId, productId, quantity }),
          takeStock(tx, { productId, quantity }),
        ]),
      ),
    ),
    events.publish(tx, stockReserved, { orderId, items }, context),
  ]);
  for (const [i, { productId, quantity, sku }] of lines.entries()) {
    const [claimed, taken] = moves[i] ?? [[], []];
    if (claimed.length === 0) throw conflict(`Order ${orderId} is already being reserved.`);
    if (taken.length === 0) {
      const [level] = await tx
        .select({ available: sql<number>`${stock.onHand} - ${stock.reserved}` })
        .from(stock)
        .where(eq(stock.productId, productId));
      throw conflict(
        `Insufficient stock for product ${sku} (${productId}): ${quantity} requested, ${level?.available ?? 0} available.`,
      );
    }
  }
  return { orderId, status: 'reserved', items };
}

/**
 * Returns an order's reserved stock. Idempotent: an unknown, released or committed order is
 * left as it is, and stock.released is published only by the call that released something.
 */
export async function releaseStock(
  tx: Transaction,
  events: EventPublisher,
  orderId: string,
  reason: string,
  context?: EventContext,
): Promise<Reservation | undefined> {
  const released = await tx
    .update(reservations)
    .set({ status: 'released', releaseReason: reason, updatedAt: sql`now()` })
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, 'reserved')))
    .returning({ productId: reservations.productId, quantity: reservations.quantity });
  const items = mergeItems(released);
  for (const { productId, quantity } of items) {
    await tx
      .update(stock)
      .set({ reserved: sql`${stock.reserved} - ${quantity}`, updatedAt: sql`now()` })
      .where(eq(stock.productId, productId));
  }
  if (items.length > 0) {
    await events.publish(tx, stockReleased, { orderId, items, reason }, context);
  }
  return findReservation(tx, orderId);
}

/**
 * The reserved goods leave the warehouse: on hand and reserved both drop. Idempotent for an
 * order already committed; unknown order → 404; released order → 409 (its stock is gone).
 */
export async function commitStock(tx: Transaction, orderId: string): Promise<Reservation> {
  const committed = await tx
    .update(reservations)
    .set({ status: 'committed', updatedAt: sql`now()` })
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, 'reserved')))
    .returning({ productId: reservations.productId, quantity: reservations.quantity });
  for (const { productId, quantity } of mergeItems(committed)) {
    await tx
      .update(stock)
      .set({
        onHand: sql`${stock.onHand} - ${quantity}`,
        reserved: sql`${stock.reserved} - ${quantity}`,
        updatedAt: sql`now()`,
      })
      .where(eq(stock.productId, productId));
  }
  const reservation = await findReservation(tx, orderId);
  if (!reservation) throw notFound(`Order ${orderId} holds no stock reservation.`);
  if (reservation.status === 'released') {
    throw conflict(`The reservation of order ${orderId} was released; it cannot be committed.`);
  }
  return reservation;
}
