import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { OrderRequest, PlacedOrder } from '../../../src/modules/cart/contracts.ts';
import type { CartProducts, OrderPlacement, Placement } from '../../../src/modules/cart/ports.ts';
import { ProblemError } from '../../../src/platform/http/problem.ts';

/**
 * For tests: an OrderPlacement keeping orders by idempotency key, with the orders module's
 * replay rules, answering confirmed or cancelled as the test says. Totals come from the
 * catalog's current prices, as the real saga would take them.
 */
export interface FakeOrderPlacement extends OrderPlacement {
  /** What the next new order ends as. */
  outcome: 'confirmed' | 'cancelled';
  /** Runs while a new order is being placed, as a slow saga would leave room for. */
  whilePlacing?: (() => Promise<void>) | undefined;
  readonly placed: Map<string, { request: OrderRequest; order: Promise<PlacedOrder> }>;
}

export function fakeOrderPlacement(products: CartProducts): FakeOrderPlacement {
  const placed: FakeOrderPlacement['placed'] = new Map();

  async function newOrder(request: OrderRequest, status: PlacedOrder['status']) {
    const prices = await products.getProducts(request.items.map((item) => item.productId));
    const amountMinor = request.items.reduce((sum, item) => {
      const product = prices.find((candidate) => candidate.id === item.productId);
      return sum + (product?.price.amountMinor ?? 0) * item.quantity;
    }, 0);
    return {
      id: randomUUID(),
      status,
      total: { amountMinor, currency: prices[0]?.price.currency ?? 'EUR' },
      cancelReason: status === 'cancelled' ? 'payment declined' : null,
    };
  }

  const fake: FakeOrderPlacement = {
    outcome: 'confirmed',
    placed,
    async place(request, idempotencyKey): Promise<Placement> {
      const first = placed.get(idempotencyKey);
      if (first) {
        if (!isDeepStrictEqual(first.request, request)) {
          throw new ProblemError(422, 'This Idempotency-Key was used with another order.');
        }
        return { replayed: true, order: await first.order };
      }
      // Claimed before the first await, so two calls at once with one key make one order.
      const order = newOrder(request, fake.outcome).then(async (created) => {
        await fake.whilePlacing?.();
        return created;
      });
      placed.set(idempotencyKey, { request: structuredClone(request), order });
      return { replayed: false, order: await order };
    },
  };
  return fake;
}
