import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Address, Money } from './contracts.ts';

// Interfaces the orders module owns; adapters (src/adapters) wire them to other modules' APIs
// or to extracted services. Every method the saga calls is idempotent per order id, which is
// what lets a recovered saga simply run a step again.

export interface StockLine {
  productId: string;
  quantity: number;
}

export interface PricedProduct {
  id: string;
  name: string;
  price: Money;
  /** Inactive products exist but are not for sale. */
  active: boolean;
}

/** Where prices come from at placement. */
export interface ProductPricing {
  /** The known products among `ids`; unknown ids are left out. */
  getProducts(ids: readonly string[]): Promise<PricedProduct[]>;
}

export interface Inventory {
  /** All lines or none. Throws ProblemError 409 (short stock, inactive) or 404 (unknown). */
  reserve(orderId: string, items: StockLine[], context: EventContext): Promise<void>;
  /** A no-op when nothing is reserved. */
  release(orderId: string, reason: string, context: EventContext): Promise<void>;
}

export interface CaptureRequest {
  orderId: string;
  userId: string;
  amount: Money;
  cardToken?: string | undefined;
}

export type CaptureResult =
  | { status: 'captured'; paymentId: string }
  | { status: 'declined'; paymentId: string; reason: string };

export interface PaymentGateway {
  /** A decline is a result, not a throw; provider outages and timeouts throw. */
  capture(request: CaptureRequest, context: EventContext): Promise<CaptureResult>;
  /** A no-op when the order has no captured payment. */
  refund(request: { orderId: string; reason: string }, context: EventContext): Promise<void>;
}

export interface ShipmentRequest {
  orderId: string;
  userId: string;
  address: Address;
  items: StockLine[];
}

export interface ShippingScheduler {
  /** Throws ProblemError 422 when shipping refuses (the detail says why). */
  schedule(request: ShipmentRequest, context: EventContext): Promise<{ shipmentId: string }>;
  /** A no-op when there is no shipment; throws ProblemError 409 once shipped. */
  cancel(orderId: string, reason: string, context: EventContext): Promise<void>;
}

export interface OrdersPorts {
  pricing: ProductPricing;
  inventory: Inventory;
  payments: PaymentGateway;
  shipping: ShippingScheduler;
}
