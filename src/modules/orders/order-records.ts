import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import type { Order } from './contracts.ts';
import { orderItems, orderRecords } from './schema.ts';

type OrderRow = typeof orderRecords.$inferSelect;
type ItemRow = typeof orderItems.$inferSelect;

/** The one place the write model's rows become the API's Order. */
export function toOrder(row: OrderRow, items: ItemRow[]): Order {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status,
    items: items.map((item) => ({
      productId: item.productId,
      name: item.name,
      quantity: item.quantity,
      unitPrice: { amountMinor: item.unitPriceMinor, currency: item.currency },
      lineTotal: { amountMinor: item.lineTotalMinor, currency: item.currency },
    })),
    total: { amountMinor: row.totalMinor, currency: row.currency },
    shippingAddress: row.shippingAddress,
    cancelReason: row.cancelReason,
    paymentId: row.paymentId,
    shipmentId: row.shipmentId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function findOrder(db: Executor, id: string): Promise<Order | undefined> {
  const [[row], items] = await Promise.all([
    db.select().from(orderRecords).where(eq(orderRecords.id, id)),
    db.select().from(orderItems).where(eq(orderItems.orderId, id)).orderBy(asc(orderItems.lineNo)),
  ]);
  return row && toOrder(row, items);
}
