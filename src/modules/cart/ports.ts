import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { CartProduct, OrderRequest, PlacedOrder } from './contracts.ts';

// Interfaces the cart owns; adapters in src/adapters wire them to other modules' APIs.

/** Where the cart learns a product's name, price and whether it may be sold. */
export interface CartProducts {
  /** The known products among `ids`; unknown (or archived) ids are left out. */
  getProducts(ids: readonly string[]): Promise<CartProduct[]>;
}

export interface Placement {
  /** True when this idempotency key had already placed the order; `order` is that first one. */
  replayed: boolean;
  order: PlacedOrder;
}

/** Where a checkout becomes an order. */
export interface OrderPlacement {
  /**
   * Places the order, idempotent per key: the same key and input answer the first placement
   * again; the same key with other input throws ProblemError 422. Bad input throws a 4xx
   * ProblemError. A saga that fails (stock short, payment declined) returns a cancelled order.
   */
  place(request: OrderRequest, idempotencyKey: string, context?: EventContext): Promise<Placement>;
}
