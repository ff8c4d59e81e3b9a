import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { SimulatedCrash } from './saga-runner.ts';
import { idempotencyKeys } from './schema.ts';

let f: OrdersFixture;
beforeAll(async () => {
  f = await openOrdersFixture('orders-idempotency-retention');
});
afterAll(async () => {
  await f.harness.cleanup();
});

const DAY_MS = 24 * 3600 * 1000;
const SHORT_LEASE_MS = 100;

/** A placement that dies right after reserving stock: its key never gets an answer. */
async function placeAndCrash(userId: string, productId: string, sagaLeaseMs?: number) {
  const key = randomUUID();
  const dying = f.newInstance({ crashAfter: 'reserve_stock', ...(sagaLeaseMs && { sagaLeaseMs }) });
  const error = await dying.api
    .placeOrder({ userId, items: [{ productId, quantity: 1 }], shippingAddress: address() }, key)
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SimulatedCrash);
  return key;
}

describe('retention of Idempotency-Keys (the module prune hook)', () => {
  it('deletes keys older than the window whose saga finished, answered or not, and keeps fresh ones and those of unfinished sagas', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const [old, fresh] = [randomUUID(), randomUUID()];
    const first = await orderOf(await f.place(token, body, old));
    await orderOf(await f.place(token, body, fresh));
    // Finished by recovery after its process died: nobody stored its answer.
    const recovered = await placeAndCrash(userId, product.id, SHORT_LEASE_MS);
    await sleep(SHORT_LEASE_MS + 50);
    const recovering = f.newInstance();
    await recovering.start?.();
    await recovering.stop?.();
    // Its process holds the lease (as far as anyone can tell, alive): still under way.
    const underWay = await placeAndCrash(userId, product.id);

    const keyOf = (key: string) =>
      and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));
    const keys = async () =>
      (
        await f.harness.db
          .select({ key: idempotencyKeys.key, answered: isNotNull(idempotencyKeys.response) })
          .from(idempotencyKeys)
          .where(eq(idempotencyKeys.userId, userId))
      ).sort((a, b) => a.key.localeCompare(b.key));
    expect(await keys()).toEqual(
      [
        { key: old, answered: true },
        { key: fresh, answered: true },
        { key: recovered, answered: false },
        { key: underWay, answered: false },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    for (const key of [old, recovered, underWay]) {
      await f.harness.db
        .update(idempotencyKeys)
        .set({ createdAt: sql`now() - interval '8 days'` })
        .where(keyOf(key));
    }

    expect(await f.orders.prune?.(7 * DAY_MS, 1_000)).toBe(2);
    expect((await keys()).map((row) => row.key)).toEqual([fresh, underWay].sort());

    // A retry that late is a new request: it places a new order.
    const late = await f.place(token, body, old);
    expect(late.headers.get('idempotent-replayed')).toBeNull();
    expect((await orderOf(late)).id).not.toBe(first.id);
  });
});
