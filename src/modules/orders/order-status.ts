import { and, eq, sql } from 'drizzle-orm';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { commitWith } from '../../platform/db/commit-with.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { builtOnce, placeholderFor, placeholders } from '../../platform/db/prepared.ts';
import type { Order, OrderStatus } from './contracts.ts';
import { orderCancelled, orderConfirmed, orderPlaced, orderShipped } from './events.ts';
import { orderHistory, orderRecords } from './schema.ts';

// The order's state machine: pending → confirmed | cancelled, confirmed → shipped | cancelled.
// Every change updates the row, appends a history entry and publishes its order.* event in the
// caller's transaction, so the three never disagree.

type OrderRow = typeof orderRecords.$inferSelect;

type HistoryEntry = Omit<typeof orderHistory.$inferInsert, 'id' | 'at'> & {
  fromStatus: OrderStatus | null;
  detail: string | null;
};

/** A history entry, built once: every change of every order writes one. */
const appendHistory = builtOnce<HistoryEntry>()((db) =>
  db
    .insert(orderHistory)
    .values(placeholders('orderId', 'fromStatus', 'toStatus', 'event', 'cause', 'detail')),
);

export type StatusChange =
  | { to: 'confirmed'; paymentId: string; shipmentId: string }
  | { to: 'cancelled'; reason: string }
  | { to: 'shipped'; shipmentId: string };

const eventNames = {
  confirmed: orderConfirmed.name,
  cancelled: orderCancelled.name,
  shipped: orderShipped.name,
} as const;

/** The fields each change writes besides the status; the others stay as they are. */
function columnsFor(change: StatusChange) {
  const unchanged = { paymentId: null, shipmentId: null, cancelReason: null };
  switch (change.to) {
    case 'confirmed':
      return { ...unchanged, paymentId: change.paymentId, shipmentId: change.shipmentId };
    case 'cancelled':
      return { ...unchanged, cancelReason: change.reason };
    case 'shipped':
      return { ...unchanged, shipmentId: change.shipmentId };
  }
}

/** Every change of every order moves its row: one statement for every kind, built once. */
const moveOrder = builtOnce<
  { orderId: string; from: OrderStatus; to: OrderStatus } & ReturnType<typeof columnsFor>
>()((db) =>
  db
    .update(orderRecords)
    .set({
      status: placeholderFor(orderRecords.status, 'to'),
      paymentId: sql`coalesce(${sql.placeholder('paymentId')}, ${orderRecords.paymentId})`,
      shipmentId: sql`coalesce(${sql.placeholder('shipmentId')}, ${orderRecords.shipmentId})`,
      cancelReason: sql`coalesce(${sql.placeholder('cancelReason')}, ${orderRecords.cancelReason})`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(orderRecords.id, sql.placeholder('orderId')),
        eq(orderRecords.status, sql.placeholder('from')),
      ),
    )
    .returning(),
);

/**
 * Moves the order from `from` to `change.to`. The update is conditional on `from`, so of two
 * racing changes only one wins; returns undefined when the order was not in `from`.
 */
export async function changeStatus(
  tx: Transaction,
  events: EventPublisher,
  orderId: string,
  from: OrderStatus,
  change: StatusChange,
  cause: { cause: string; detail?: string | null; context?: EventContext | undefined },
  { endsTransaction = false }: { endsTransaction?: boolean } = {},
): Promise<OrderRow | undefined> {
  const [row] = await moveOrder(tx, { orderId, from, to: change.to, ...columnsFor(change) });
  if (!row) return undefined;
  // History and event do not depend on each other: sent together, one round trip, with COMMIT
  // when the change is the last thing its transaction does.
  const writes = () =>
    Promise.all([
      appendHistory(tx, {
        orderId,
        fromStatus: from,
        toStatus: change.to,
        event: eventNames[change.to],
        cause: cause.cause,
        detail: cause.detail ?? null,
      }),
      publishChange(tx, events, row, change, cause.context),
    ]);
  await (endsTransaction ? commitWith(tx, writes) : writes());
  return row;
}

function publishChange(
  tx: Transaction,
  events: EventPublisher,
  row: OrderRow,
  change: StatusChange,
  context: EventContext | undefined,
) {
  const base = { orderId: row.id, userId: row.userId };
  switch (change.to) {
    case 'confirmed':
      return events.publish(
        tx,
        orderConfirmed,
        {
          ...base,
          total: { amountMinor: row.totalMinor, currency: row.currency },
          paymentId: change.paymentId,
          shipmentId: change.shipmentId,
        },
        context,
      );
    case 'cancelled':
      return events.publish(tx, orderCancelled, { ...base, reason: change.reason }, context);
    case 'shipped':
      return events.publish(tx, orderShipped, { ...base, shipmentId: change.shipmentId }, context);
  }
}

/** The first entry of every order's history, and order.placed. */
export async function recordPlaced(
  tx: Transaction,
  events: EventPublisher,
  order: Pick<Order, 'id' | 'userId' | 'items' | 'total'>,
  context?: EventContext,
): Promise<void> {
  await Promise.all([
    appendHistory(tx, {
      orderId: order.id,
      fromStatus: null,
      toStatus: 'pending',
      event: orderPlaced.name,
      cause: 'checkout',
      detail: `${order.items.length} line(s), total ${order.total.amountMinor} ${order.total.currency}`,
    }),
    events.publish(
      tx,
      orderPlaced,
      {
        orderId: order.id,
        userId: order.userId,
        items: order.items.map(({ productId, quantity, unitPrice }) => ({
          productId,
          quantity,
          unitPrice,
        })),
        total: order.total,
      },
      context,
    ),
  ]);
}
