import { and, count, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { subscribe } from '../../platform/bus/subscription.ts';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import { builtOnce, placeholders } from '../../platform/db/prepared.ts';
import type { ListOrdersQuery, OrderPage, OrderStatus } from './contracts.ts';
import { orderCancelled, orderConfirmed, orderPlaced, orderShipped } from './events.ts';
import { orderSummaries } from './schema.ts';

// The order list's read model (CQRS), fed only by this module's own order.* events. Events may
// arrive late, twice (the inbox drops repeats) or out of order: a status only moves up its rank
// (an order never goes back), so an older event never overwrites a newer one, and the fields
// only order.placed carries are filled in whenever it arrives.

const rank: Record<OrderStatus, number> = { pending: 0, confirmed: 1, shipped: 2, cancelled: 2 };

type StatusFact = {
  orderId: string;
  userId: string;
  status: Exclude<OrderStatus, 'pending'>;
  at: Date;
};

// Both upserts are built once (builtOnce): every order's events run them.

const upsertStatus = builtOnce<StatusFact & { statusRank: number }>()((db) =>
  db
    .insert(orderSummaries)
    .values({
      ...placeholders('orderId', 'userId', 'status', 'statusRank'),
      createdAt: sql.placeholder('at'),
      updatedAt: sql.placeholder('at'),
    })
    .onConflictDoUpdate({
      target: orderSummaries.orderId,
      set: {
        status: sql`excluded.status`,
        statusRank: sql`excluded.status_rank`,
        updatedAt: sql`excluded.updated_at`,
      },
      setWhere: sql`${orderSummaries.statusRank} < excluded.status_rank`,
    }),
);

async function applyStatus(tx: Transaction, fact: StatusFact): Promise<void> {
  await upsertStatus(tx, { ...fact, statusRank: rank[fact.status] });
}

type PlacedFact = {
  orderId: string;
  userId: string;
  totalMinor: number;
  currency: string;
  itemCount: number;
  at: Date;
};

const upsertPlaced = builtOnce<PlacedFact>()((db) =>
  db
    .insert(orderSummaries)
    .values({
      ...placeholders('orderId', 'userId', 'totalMinor', 'currency', 'itemCount'),
      status: 'pending',
      statusRank: rank.pending,
      createdAt: sql.placeholder('at'),
      updatedAt: sql.placeholder('at'),
    })
    .onConflictDoUpdate({
      // A later status got here first: keep it, add what only placement knows.
      target: orderSummaries.orderId,
      set: {
        totalMinor: sql`excluded.total_minor`,
        currency: sql`excluded.currency`,
        itemCount: sql`excluded.item_count`,
        createdAt: sql`excluded.created_at`,
      },
    }),
);

export const readModelSubscriptions = [
  subscribe('orders.summary-on-placed', orderPlaced, async (event, tx) => {
    const { orderId, userId, items, total } = event.payload;
    await upsertPlaced(tx, {
      orderId,
      userId,
      totalMinor: total.amountMinor,
      currency: total.currency,
      itemCount: items.reduce((units, item) => units + item.quantity, 0),
      at: new Date(event.metadata.occurredAt),
    });
  }),
  subscribe('orders.summary-on-confirmed', orderConfirmed, async (event, tx) => {
    const { orderId, userId } = event.payload;
    const at = new Date(event.metadata.occurredAt);
    await applyStatus(tx, { orderId, userId, status: 'confirmed', at });
  }),
  subscribe('orders.summary-on-cancelled', orderCancelled, async (event, tx) => {
    const { orderId, userId } = event.payload;
    const at = new Date(event.metadata.occurredAt);
    await applyStatus(tx, { orderId, userId, status: 'cancelled', at });
  }),
  subscribe('orders.summary-on-shipped', orderShipped, async (event, tx) => {
    const { orderId, userId } = event.payload;
    const at = new Date(event.metadata.occurredAt);
    await applyStatus(tx, { orderId, userId, status: 'shipped', at });
  }),
];

/** A user's orders, newest first, from the read model only. */
export async function listOrderSummaries(
  db: Executor,
  userId: string,
  query: Pick<ListOrdersQuery, 'page' | 'pageSize'>,
): Promise<OrderPage> {
  // Rows whose order.placed has not arrived yet lack their total: not listed until it does.
  const where = and(eq(orderSummaries.userId, userId), isNotNull(orderSummaries.itemCount));
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(orderSummaries)
      .where(where)
      .orderBy(desc(orderSummaries.createdAt), desc(orderSummaries.orderId))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(orderSummaries).where(where),
  ]);
  return {
    items: rows.map((row) => ({
      id: row.orderId,
      userId: row.userId,
      status: row.status,
      total: { amountMinor: row.totalMinor ?? 0, currency: row.currency ?? 'EUR' },
      itemCount: row.itemCount ?? 0,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    })),
    page: query.page,
    pageSize: query.pageSize,
    total: totals[0]?.total ?? 0,
  };
}
