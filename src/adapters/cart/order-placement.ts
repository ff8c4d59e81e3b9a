import type { OrderPlacement, OrderRequest, Placement } from '../../modules/cart/index.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';

/**
 * Just the part of the orders API the cart uses, written structurally so this adapter does not
 * depend on how orders names its API type.
 */
interface OrdersPlacing {
  placeOrder(
    input: OrderRequest,
    idempotencyKey: string,
    context?: EventContext,
  ): Promise<Placement>;
}

/** Cart checkout, answered in-process by the orders module's placeOrder (same key, same saga). */
export function orderPlacementFromOrders(orders: OrdersPlacing): OrderPlacement {
  return {
    place: (request, idempotencyKey, context) =>
      orders.placeOrder(request, idempotencyKey, context),
  };
}
