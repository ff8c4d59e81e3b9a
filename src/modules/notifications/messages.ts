import type { Money } from '../../platform/money.ts';

// What the customer reads, per kind. Plain text: every channel can carry it.

export interface Message {
  title: string;
  body: string;
}

/** Integer arithmetic on minor units: no float ever touches an amount. */
export function formatMoney(money: Money): string {
  const major = Math.floor(money.amountMinor / 100);
  const minor = String(money.amountMinor % 100).padStart(2, '0');
  return `${major}.${minor} ${money.currency}`;
}

const shortId = (id: string) => id.slice(0, 8);

export const welcomeMessage = (username: string): Message => ({
  title: `Welcome, ${username}`,
  body: 'Your account is ready. Browse the catalog and check out whenever you like.',
});

export const orderConfirmedMessage = (orderId: string, total: Money): Message => ({
  title: `Order ${shortId(orderId)} confirmed`,
  body: `Your order ${orderId} is confirmed: ${formatMoney(total)} was charged and the shipment is booked.`,
});

export const orderCancelledMessage = (orderId: string, reason: string): Message => ({
  title: `Order ${shortId(orderId)} cancelled`,
  body: `Your order ${orderId} was cancelled: ${reason}. Anything charged or reserved was given back.`,
});

export const paymentFailedMessage = (orderId: string, amount: Money, reason: string): Message => ({
  title: `Payment for order ${shortId(orderId)} failed`,
  body: `We could not charge ${formatMoney(amount)} for order ${orderId}: ${reason}. Nothing was charged.`,
});

export const shipmentScheduledMessage = (
  orderId: string,
  carrier: string,
  trackingNumber: string,
): Message => ({
  title: `Order ${shortId(orderId)} is being shipped`,
  body: `${carrier} will pick up order ${orderId}. Tracking number: ${trackingNumber}.`,
});
