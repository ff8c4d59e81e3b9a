import { type Subscription, subscribe } from '../../platform/bus/subscription.ts';
import { orderCancelled, orderConfirmed } from '../orders/index.ts';
import { paymentFailed } from '../payments/index.ts';
import { shipmentScheduled } from '../shipping/index.ts';
import { userRegistered, userUpdated } from '../users/index.ts';
import {
  orderCancelledMessage,
  orderConfirmedMessage,
  paymentFailedMessage,
  shipmentScheduledMessage,
  welcomeMessage,
} from './messages.ts';
import type { NotificationChannel } from './ports.ts';
import { notify, rememberRecipient } from './service.ts';

/**
 * What the module listens to. Each handler runs in the consumer's transaction, behind the
 * platform's inbox, so a redelivered event changes nothing.
 */
export function notificationSubscriptions(
  channels: readonly NotificationChannel[],
): Subscription[] {
  return [
    subscribe('notifications.on-user-registered', userRegistered, async (event, tx) => {
      const { userId, username, email } = event.payload;
      // Remembered first, so the welcome mail already knows where to go.
      await rememberRecipient(tx, { userId, username, email }, event.metadata.occurredAt);
      await notify(tx, channels, {
        userId,
        eventId: event.metadata.id,
        kind: 'welcome',
        message: welcomeMessage(username),
      });
    }),
    subscribe('notifications.on-user-updated', userUpdated, async (event, tx) => {
      const { userId, username, email } = event.payload;
      await rememberRecipient(tx, { userId, username, email }, event.metadata.occurredAt);
    }),
    subscribe('notifications.on-order-confirmed', orderConfirmed, async (event, tx) => {
      const { orderId, userId, total } = event.payload;
      await notify(tx, channels, {
        userId,
        eventId: event.metadata.id,
        kind: 'order_confirmed',
        message: orderConfirmedMessage(orderId, total),
      });
    }),
    subscribe('notifications.on-order-cancelled', orderCancelled, async (event, tx) => {
      const { orderId, userId, reason } = event.payload;
      await notify(tx, channels, {
        userId,
        eventId: event.metadata.id,
        kind: 'order_cancelled',
        message: orderCancelledMessage(orderId, reason),
      });
    }),
    subscribe('notifications.on-payment-failed', paymentFailed, async (event, tx) => {
      const { orderId, userId, amount, reason } = event.payload;
      await notify(tx, channels, {
        userId,
        eventId: event.metadata.id,
        kind: 'payment_failed',
        message: paymentFailedMessage(orderId, amount, reason),
      });
    }),
    subscribe('notifications.on-shipment-scheduled', shipmentScheduled, async (event, tx) => {
      const { orderId, userId, carrier, trackingNumber } = event.payload;
      await notify(tx, channels, {
        userId,
        eventId: event.metadata.id,
        kind: 'shipment_scheduled',
        message: shipmentScheduledMessage(orderId, carrier, trackingNumber),
      });
    }),
  ];
}
