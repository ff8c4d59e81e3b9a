import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { conflict } from '../../platform/http/problem.ts';
import type { CheckoutInput, CheckoutResult, OrderLine, OrderRequest } from './contracts.ts';
import { cartCheckedOut } from './events.ts';
import type { Placement } from './ports.ts';
import { cartItems, carts, checkouts } from './schema.ts';
import { type CartDeps, cartLines, findCart } from './service.ts';

/** Only an order that stands takes the lines out of the cart. */
const stands = (placement: Placement) =>
  placement.order.status === 'confirmed' || placement.order.status === 'shipped';

/**
 * Turns the cart into an order through the OrderPlacement port, with the caller's
 * Idempotency-Key. The order is placed outside any cart transaction (the saga runs its own and
 * may wait on a payment provider); only a confirmed order empties the cart, in one transaction
 * with the checkout record and the cart.checked_out event.
 */
export async function checkout(
  deps: CartDeps,
  userId: string,
  input: CheckoutInput,
  idempotencyKey: string,
  context?: EventContext,
): Promise<CheckoutResult> {
  const request = (items: OrderLine[]): OrderRequest => ({
    userId,
    items,
    shippingAddress: input.shippingAddress,
    ...(input.cardToken !== undefined && { cardToken: input.cardToken }),
  });

  // Looked up, not created: a refused checkout leaves no trace. The lines are read before the
  // key's record, so a twin request that empties the cart in between is seen as done.
  const cartId = await findCart(deps.db, userId);
  const lines = cartId === undefined ? [] : await cartLines(deps.db, cartId);
  const [done] = await deps.db
    .select({ items: checkouts.items })
    .from(checkouts)
    .where(and(eq(checkouts.userId, userId), eq(checkouts.idempotencyKey, idempotencyKey)));
  if (done) {
    // The cart was emptied by this key already. Orders judges the replay: the same input
    // answers the first order, other input (another address, say) is its 422.
    const placement = await deps.orders.place(request(done.items), idempotencyKey, context);
    return { replayed: true, cartEmptied: false, order: placement.order };
  }
  if (cartId === undefined || lines.length === 0) {
    throw conflict('The cart is empty: add items before checking out.');
  }
  const items = lines.map(({ productId, quantity }) => ({ productId, quantity }));

  const placement = await deps.orders.place(request(items), idempotencyKey, context);
  if (!stands(placement)) {
    // A cancelled order (stock short, payment declined) leaves the cart as it was, so the
    // customer can fix it and try again with a new key.
    return { replayed: placement.replayed, cartEmptied: false, order: placement.order };
  }
  const cartEmptied = await deps.db.transaction((tx) =>
    emptyOrderedLines(tx, deps, { cartId, userId, idempotencyKey, items }, placement, context),
  );
  return { replayed: placement.replayed, cartEmptied, order: placement.order };
}

/** False when a concurrent request with the same key emptied the cart first. */
async function emptyOrderedLines(
  tx: Transaction,
  deps: CartDeps,
  checkout: { cartId: string; userId: string; idempotencyKey: string; items: OrderLine[] },
  placement: Placement,
  context?: EventContext,
): Promise<boolean> {
  const { cartId, userId, items } = checkout;
  await tx.select({ id: carts.id }).from(carts).where(eq(carts.id, cartId)).for('update');
  const [recorded] = await tx
    .insert(checkouts)
    .values({ ...checkout, orderId: placement.order.id })
    .onConflictDoNothing()
    .returning({ id: checkouts.id });
  if (!recorded) return false;
  // Takes out what was ordered, not every line: units added while the order was being placed
  // stay in the cart.
  for (const { productId, quantity } of items) {
    const line = and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId));
    await tx.delete(cartItems).where(and(line, lte(cartItems.quantity, quantity)));
    await tx
      .update(cartItems)
      .set({ quantity: sql`${cartItems.quantity} - ${quantity}` })
      .where(and(line, gt(cartItems.quantity, quantity)));
  }
  await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cartId));
  await deps.events.publish(
    tx,
    cartCheckedOut,
    { cartId, userId, orderId: placement.order.id },
    context,
  );
  return true;
}
