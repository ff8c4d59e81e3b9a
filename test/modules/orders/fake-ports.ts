import { randomUUID } from 'node:crypto';
import type { Money } from '../../../src/modules/orders/contracts.ts';
import type {
  PaymentGateway,
  ShipmentRequest,
  ShippingScheduler,
} from '../../../src/modules/orders/ports.ts';
import { ProblemError } from '../../../src/platform/http/problem.ts';

// Fakes of two ports orders owns, for its tests: they keep what a provider would (payments by
// order, refunds, shipments) and misbehave on cue. Like the real modules, each call is
// idempotent per order. The real catalog stands behind the other two ports.

export interface FakePayment {
  id: string;
  amount: Money;
  status: 'captured' | 'declined' | 'refunded';
  refundReason?: string;
}

/** Card tokens that steer the fake: a decline, or an outage (the call throws). */
export const DECLINING_CARD = 'tok_decline';
export const OUTAGE_CARD = 'tok_outage';

export interface FakePaymentGateway extends PaymentGateway {
  payments: Map<string, FakePayment>;
  /** Every capture call per order, repeats included: a provider would see each one. */
  captureCalls: Map<string, number>;
  /** While set, refunds throw (a provider outage during compensation). */
  refundsDown: boolean;
}

export function fakePaymentGateway(): FakePaymentGateway {
  const payments = new Map<string, FakePayment>();
  const captureCalls = new Map<string, number>();
  const gateway: FakePaymentGateway = {
    payments,
    captureCalls,
    refundsDown: false,
    async capture({ orderId, amount, cardToken }) {
      captureCalls.set(orderId, (captureCalls.get(orderId) ?? 0) + 1);
      if (cardToken === OUTAGE_CARD) throw new Error('payment provider timed out');
      const existing = payments.get(orderId);
      const payment = existing ?? {
        id: randomUUID(),
        amount,
        status: cardToken === DECLINING_CARD ? 'declined' : 'captured',
      };
      payments.set(orderId, payment);
      return payment.status === 'captured'
        ? { status: 'captured', paymentId: payment.id }
        : { status: 'declined', paymentId: payment.id, reason: 'insufficient funds' };
    },
    async refund({ orderId, reason }) {
      if (gateway.refundsDown) throw new Error('payment provider unavailable');
      const payment = payments.get(orderId);
      if (payment?.status === 'captured') {
        payments.set(orderId, { ...payment, status: 'refunded', refundReason: reason });
      }
    },
  };
  return gateway;
}

export interface FakeShipment extends ShipmentRequest {
  id: string;
  status: 'scheduled' | 'cancelled' | 'shipped';
  cancelReason?: string;
}

/** Countries that steer the fake: refused (422), or a shipping outage (the call throws). */
export const REFUSED_COUNTRY = 'AQ';
export const OUTAGE_COUNTRY = 'ZZ';

export interface FakeShippingScheduler extends ShippingScheduler {
  shipments: Map<string, FakeShipment>;
  /** Every schedule call per order, repeats included. */
  scheduleCalls: Map<string, number>;
  /** What the carrier would do: the parcel leaves; cancelling it is refused from now on. */
  ship(orderId: string): FakeShipment;
}

export function fakeShippingScheduler(): FakeShippingScheduler {
  const shipments = new Map<string, FakeShipment>();
  const scheduleCalls = new Map<string, number>();
  return {
    shipments,
    scheduleCalls,
    async schedule(request) {
      scheduleCalls.set(request.orderId, (scheduleCalls.get(request.orderId) ?? 0) + 1);
      const { country } = request.address;
      if (country === REFUSED_COUNTRY) throw new ProblemError(422, `We do not ship to ${country}.`);
      if (country === OUTAGE_COUNTRY) throw new Error('shipping service timed out');
      const shipment = shipments.get(request.orderId) ?? {
        ...request,
        id: randomUUID(),
        status: 'scheduled',
      };
      shipments.set(request.orderId, shipment);
      return { shipmentId: shipment.id };
    },
    async cancel(orderId, reason) {
      const shipment = shipments.get(orderId);
      if (!shipment || shipment.status === 'cancelled') return;
      if (shipment.status === 'shipped') {
        throw new ProblemError(409, `The shipment of order ${orderId} has left already.`);
      }
      shipments.set(orderId, { ...shipment, status: 'cancelled', cancelReason: reason });
    },
    ship(orderId) {
      const shipment = shipments.get(orderId);
      if (shipment?.status !== 'scheduled') throw new Error('nothing to ship');
      const shipped = { ...shipment, status: 'shipped' as const };
      shipments.set(orderId, shipped);
      return shipped;
    },
  };
}

export interface Outage {
  /** Calls the method received while stubbed, failing ones included. */
  calls: number;
  /** The method as it was. */
  restore(): void;
}

/**
 * Makes `port[method]` throw `error` on its next `times` calls, then behave as before. With
 * `afterEffect`, a failing call reaches the port first: its effect happens, its answer is lost
 * (a connection that drops after the commit).
 */
export function failNext<P extends object, K extends keyof P>(
  port: P,
  method: K,
  times: number,
  error: unknown,
  { afterEffect = false }: { afterEffect?: boolean } = {},
): Outage {
  const original = port[method];
  if (typeof original !== 'function') throw new Error(`${String(method)} is not a method`);
  let left = times;
  const outage: Outage = {
    calls: 0,
    restore() {
      port[method] = original;
    },
  };
  const stub = async (...args: unknown[]) => {
    outage.calls += 1;
    if (left > 0) {
      left -= 1;
      if (afterEffect) await original.apply(port, args);
      throw error;
    }
    return original.apply(port, args);
  };
  port[method] = stub as P[K];
  return outage;
}
