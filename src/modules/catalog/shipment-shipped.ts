import { and, eq } from 'drizzle-orm';
import { subscribe } from '../../platform/bus/subscription.ts';
import { shipmentShipped } from '../shipping/index.ts';
import { reservations } from './schema.ts';
import { commitStock } from './stock.ts';

/**
 * Reserved stock leaves on hand when the parcel ships, not when the order is confirmed, so a
 * confirmed order that is cancelled before shipping gives its units back by a plain release.
 */
export const commitOnShipmentShipped = subscribe(
  'catalog.commit-on-shipment-shipped',
  shipmentShipped,
  async (event, tx) => {
    const [held] = await tx
      .select({ orderId: reservations.orderId })
      .from(reservations)
      .where(
        and(eq(reservations.orderId, event.payload.orderId), eq(reservations.status, 'reserved')),
      )
      .limit(1);
    // Nothing reserved (already committed, released, or never reserved here): nothing to do.
    if (held) await commitStock(tx, event.payload.orderId);
  },
);
