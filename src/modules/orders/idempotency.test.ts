import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECLINING_CARD } from '../../../test/modules/orders/fake-ports.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { idempotencyKeys, orderRecords } from './schema.ts';

let f: OrdersFixture;

beforeAll(async () => {
  f = await openOrdersFixture('orders-idempotency');
});
afterAll(async () => {
  await f.harness.cleanup();
});

const ordersOf = async (userId: string) =>
  (
    await f.harness.db
      .select({ n: count() })
      .from(orderRecords)
      .where(eq(orderRecords.userId, userId))
  )[0]?.n ?? 0;

describe('Idempotency-Key', () => {
  it('replays the first response (status and body) and charges once', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const body = { items: [{ productId: product.id, quantity: 2 }], shippingAddress: address() };
    const key = randomUUID();
    const first = await f.place(token, body, key);
    const firstBody = await orderOf(first);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    // Same body, keys in another order: the same request.
    const reordered = { shippingAddress: { ...address(), country: 'DE' }, items: body.items };
    const again = await f.place(token, reordered, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await again.json()).toEqual(firstBody);

    expect(await ordersOf(userId)).toBe(1);
    expect(f.payments.captureCalls.get(firstBody.id)).toBe(1);
    // Reserved once for the one order (committed only when it ships).
    expect(await f.stock(product.id)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
  });

  it('answers 422 for the same key with another body, and changes nothing', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const key = randomUUID();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    await orderOf(await f.place(token, body, key));
    const other = await f.place(
      token,
      { ...body, items: [{ productId: product.id, quantity: 2 }] },
      key,
    );
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(await ordersOf(userId)).toBe(1);
  });

  it('keeps keys per user: another user with the same key places their own order', async () => {
    const product = await f.product(10);
    const key = randomUUID();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const a = await orderOf(await f.place((await f.customer()).token, body, key));
    const b = await orderOf(await f.place((await f.customer()).token, body, key));
    expect(a.id).not.toBe(b.id);
  });

  it('replays a cancelled checkout as it was, without trying again', async () => {
    const product = await f.product(10);
    const { token } = await f.customer();
    const key = randomUUID();
    const body = {
      items: [{ productId: product.id, quantity: 1 }],
      shippingAddress: address(),
      cardToken: DECLINING_CARD,
    };
    const first = await orderOf(await f.place(token, body, key));
    expect(first.status).toBe('cancelled');
    expect(await orderOf(await f.place(token, body, key))).toEqual(first);
    expect(f.payments.captureCalls.get(first.id)).toBe(1);
  });

  it('lets concurrent duplicates create one order: every answer is that order', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const key = randomUUID();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const responses = await Promise.all(Array.from({ length: 8 }, () => f.place(token, body, key)));
    // Losers wait for the winner's answer (up to replayWaitMs, then 409 'in progress').
    const bodies = await Promise.all(responses.map((response) => orderOf(response)));
    expect(new Set(bodies.map((order) => order.id)).size).toBe(1);
    expect(bodies[0]?.status).toBe('confirmed');
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await ordersOf(userId)).toBe(1);
    expect(f.payments.captureCalls.get(bodies[0]!.id)).toBe(1);
    expect(await f.stock(product.id)).toMatchObject({ onHand: 10, reserved: 1, available: 9 });
  });

  it('answers 409 to a duplicate while the first is still running, once the wait is over', async () => {
    const product = await f.product(10);
    const { userId } = await f.customer();
    const impatient = f.newInstance({ replayWaitMs: 0 });
    const key = randomUUID();
    const input = {
      userId,
      items: [{ productId: product.id, quantity: 1 }],
      shippingAddress: address(),
    };
    // A first request that is "still running": its process holds the lease, mid-saga.
    const crashing = f.newInstance({ crashAfter: 'reserve_stock' });
    await crashing.api.placeOrder(input, key).catch(() => undefined);
    const duplicate = await impatient.api.placeOrder(input, key).catch((error: unknown) => error);
    expect(duplicate).toMatchObject({ status: 409 });
  });

  it('needs the header: missing or over 200 characters → 400, and no order', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const missing = await f.send('POST', '/api/orders', token, body);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      errors: [expect.objectContaining({ path: 'header.idempotency-key' })],
    });
    expect((await f.place(token, body, 'k'.repeat(201))).status).toBe(400);
    expect((await f.place(token, body, '')).status).toBe(400);
    expect(await ordersOf(userId)).toBe(0);
    const keys = await f.harness.db
      .select()
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.userId, userId));
    expect(keys).toHaveLength(0);
  });

  it('works the same through the api, telling whether it replayed', async () => {
    const product = await f.product(10);
    const input = {
      userId: randomUUID(),
      items: [{ productId: product.id, quantity: 1 }],
      shippingAddress: address(),
    };
    const first = await f.orders.api.placeOrder(input, 'checkout-1');
    const second = await f.orders.api.placeOrder(input, 'checkout-1');
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ replayed: true, order: first.order });
    await expect(
      f.orders.api.placeOrder({ ...input, cardToken: 'tok_other' }, 'checkout-1'),
    ).rejects.toMatchObject({ status: 422 });
    await expect(f.orders.api.placeOrder(input, '')).rejects.toMatchObject({ status: 400 });
  });
});
