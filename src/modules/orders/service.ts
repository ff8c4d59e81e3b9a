import { asc, count, eq, inArray, sql, sum } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { notFound } from '../../platform/http/problem.ts';
import type { Order, OrderHistory, OrderStats } from './contracts.ts';
import { findOrder } from './order-records.ts';
import { orderHistory, orderRecords } from './schema.ts';

/** Who is asking: an order is visible to its owner and to admins. */
export interface Viewer {
  userId: string;
  isAdmin: boolean;
}

/** Someone else's order is answered like a missing one: its existence is not revealed. */
export function visibleTo(order: Order | undefined, viewer: Viewer, id: string): Order {
  if (!order || (!viewer.isAdmin && order.userId !== viewer.userId)) {
    throw notFound(`Order ${id} does not exist.`);
  }
  return order;
}

export async function getOrder(db: Executor, id: string, viewer: Viewer): Promise<Order> {
  return visibleTo(await findOrder(db, id), viewer, id);
}

export async function getOrderHistory(
  db: Executor,
  id: string,
  viewer: Viewer,
): Promise<OrderHistory> {
  await getOrder(db, id, viewer);
  const rows = await db
    .select()
    .from(orderHistory)
    .where(eq(orderHistory.orderId, id))
    .orderBy(asc(orderHistory.id));
  return {
    orderId: id,
    entries: rows.map((row) => ({
      from: row.fromStatus,
      to: row.toStatus,
      event: row.event,
      cause: row.cause,
      detail: row.detail,
      at: row.at.toISOString(),
    })),
  };
}

/** Counts by status, and revenue (confirmed and shipped orders) per currency. */
export async function getOrderStats(db: Executor): Promise<OrderStats> {
  const byStatus = await db
    .select({ status: orderRecords.status, orders: count() })
    .from(orderRecords)
    .groupBy(orderRecords.status);
  const revenue = await db
    .select({
      currency: orderRecords.currency,
      amountMinor: sql<number>`${sum(orderRecords.totalMinor)}::bigint`.mapWith(Number),
    })
    .from(orderRecords)
    .where(inArray(orderRecords.status, ['confirmed', 'shipped']))
    .groupBy(orderRecords.currency)
    .orderBy(asc(orderRecords.currency));
  const countOf = (status: string) => byStatus.find((row) => row.status === status)?.orders ?? 0;
  return {
    orders: byStatus.reduce((total, row) => total + row.orders, 0),
    confirmed: countOf('confirmed'),
    cancelled: countOf('cancelled'),
    shipped: countOf('shipped'),
    revenue,
  };
}
