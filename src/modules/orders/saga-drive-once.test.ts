import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import type { Placement } from './contracts.ts';
import { checkoutSagas, orderHistory } from './schema.ts';

// A step that takes longer than the lease (a slow payment provider) with recovery sweeping
// every few milliseconds: the saga is still driven once, by the drive that holds it.
const LEASE_MS = 500;
const SLOW_CAPTURE_MS = 1_600;
const ORDERS = 5;

let f: OrdersFixture;
beforeAll(async () => {
  f = await openOrdersFixture('orders-drive-once');
});
afterAll(async () => {
  await f.harness.cleanup();
});

function slowCaptures() {
  const capture = f.payments.capture;
  f.payments.capture = async (request, context) => {
    await sleep(SLOW_CAPTURE_MS);
    return capture(request, context);
  };
  return () => {
    f.payments.capture = capture;
  };
}

const historyOf = async (orderId: string) =>
  (
    await f.harness.db
      .select({ to: orderHistory.toStatus })
      .from(orderHistory)
      .where(eq(orderHistory.orderId, orderId))
      .orderBy(orderHistory.id)
  ).map((entry) => entry.to);

async function expectDrivenOnce(placements: Placement[]) {
  expect(placements.map(({ replayed, order }) => ({ replayed, status: order.status }))).toEqual(
    Array.from({ length: ORDERS }, () => ({ replayed: false, status: 'confirmed' })),
  );
  for (const { order } of placements) {
    expect(f.payments.captureCalls.get(order.id)).toBe(1);
    expect(f.shipping.scheduleCalls.get(order.id)).toBe(1);
    expect(await f.events('stock.reserved', order.id)).toHaveLength(1);
    expect(await f.events('order.confirmed', order.id)).toHaveLength(1);
    expect(await historyOf(order.id)).toEqual(['pending', 'confirmed']);
    // Claimed once, by the request that placed it: no recovery took it over.
    const [saga] = await f.harness.db
      .select({ attempts: checkoutSagas.attempts, state: checkoutSagas.state })
      .from(checkoutSagas)
      .where(eq(checkoutSagas.orderId, order.id));
    expect(saga).toEqual({ attempts: 1, state: 'completed' });
  }
}

const placeSome = async (api: ReturnType<OrdersFixture['newInstance']>['api']) => {
  const product = await f.product(100);
  return Promise.all(
    Array.from({ length: ORDERS }, () =>
      api.placeOrder(
        {
          userId: randomUUID(),
          items: [{ productId: product.id, quantity: 1 }],
          shippingAddress: address(),
        },
        randomUUID(),
      ),
    ),
  );
};

describe('a step slower than the lease', () => {
  it("is not driven a second time by its own process's recovery loop", async () => {
    const shop = f.newInstance({ sagaLeaseMs: LEASE_MS, recoveryIntervalMs: 20 });
    await shop.start?.();
    const restore = slowCaptures();
    try {
      await expectDrivenOnce(await placeSome(shop.api));
    } finally {
      restore();
      await shop.stop?.();
    }
  });

  it("is not driven a second time by another process's recovery loop", async () => {
    const shop = f.newInstance({ sagaLeaseMs: LEASE_MS });
    const other = f.newInstance({ sagaLeaseMs: LEASE_MS, recoveryIntervalMs: 20 });
    await other.start?.();
    const restore = slowCaptures();
    try {
      await expectDrivenOnce(await placeSome(shop.api));
    } finally {
      restore();
      await other.stop?.();
    }
  });
});
