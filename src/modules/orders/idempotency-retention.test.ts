import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { idempotencyKeys } from './schema.ts';

let f: OrdersFixture;
beforeAll(async () => {
  f = await openOrdersFixture('orders-idempotency-retention');
});
afterAll(async () => {
  await f.harness.cleanup();
});

const DAY_MS = 24 * 3600 * 1000;

describe('retention of Idempotency-Keys (the module prune hook)', () => {
  it('deletes answered keys older than the window and keeps fresh and unanswered ones', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const [old, fresh] = [randomUUID(), randomUUID()];
    const first = await orderOf(await f.place(token, body, old));
    await orderOf(await f.place(token, body, fresh));
    const keyOf = (key: string) =>
      and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));
    await f.harness.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '8 days'` })
      .where(keyOf(old));
    // A placement that never stored its answer (still under way, or left to recovery).
    const unanswered = randomUUID();
    await f.harness.db.insert(idempotencyKeys).values({
      userId,
      key: unanswered,
      requestHash: 'x',
      orderId: first.id,
      response: null,
      createdAt: sql`now() - interval '8 days'`,
    });

    expect(await f.orders.prune?.(7 * DAY_MS, 1_000)).toBe(1);
    const left = await f.harness.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.userId, userId));
    expect(left.map((row) => row.key).sort()).toEqual([fresh, unanswered].sort());

    // A retry that late is a new request: it places a new order.
    const late = await f.place(token, body, old);
    expect(late.headers.get('idempotent-replayed')).toBeNull();
    expect((await orderOf(late)).id).not.toBe(first.id);
  });
});
