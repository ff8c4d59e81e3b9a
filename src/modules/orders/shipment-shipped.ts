import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import { contextFromEvent } from '../../platform/bus/event-contract.ts';
import { subscribe } from '../../platform/bus/subscription.ts';
import { shipmentShipped } from '../shipping/index.ts';
import { changeStatus } from './order-status.ts';
import { orderRecords } from './schema.ts';

/**
 * When shipping reports the parcel gone, a confirmed order becomes shipped. (The catalog
 * commits the order's reserved stock on the same event.)
 */
export const shipOnShipmentShipped = (events: EventPublisher, logger: Logger) =>
  subscribe('orders.ship-on-shipment-shipped', shipmentShipped, async (event, tx) => {
    const { orderId, shipmentId, carrier, trackingNumber } = event.payload;
    const [order] = await tx
      .select({ status: orderRecords.status })
      .from(orderRecords)
      .where(eq(orderRecords.id, orderId))
      .for('update');
    if (!order || order.status === 'shipped') return;
    if (order.status === 'pending') {
      // Shipped between scheduling and confirmation: the bus retries once the saga confirms.
      throw new Error(`order ${orderId} is not confirmed yet; retry shipment.shipped later`);
    }
    if (order.status === 'cancelled') {
      logger.warn({ orderId, shipmentId }, 'a cancelled order was reported shipped');
      return;
    }
    await changeStatus(
      tx,
      events,
      orderId,
      'confirmed',
      { to: 'shipped', shipmentId },
      {
        cause: 'shipment.shipped',
        detail: `${carrier} ${trackingNumber}`,
        context: contextFromEvent(event),
      },
    );
  });
