import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { eventually } from '../../../test/support/services.ts';
import type { EventEnvelope } from '../../platform/bus/event-contract.ts';
import { shipmentShipped } from '../shipping/index.ts';
import type { Order, OrderPage } from './contracts.ts';
import { readModelSubscriptions } from './read-model.ts';
import { orderRecords, orderSummaries } from './schema.ts';

let f: OrdersFixture;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let admin: { token: string; userId: string };
let productId: string;

beforeAll(async () => {
  f = await openOrdersFixture('orders-routes');
  // The read model and the shipped handler run on the bus, as in the monolith.
  f.harness.bus.subscribe(...(f.orders.subscriptions ?? []));
  await f.harness.bus.start();
  [alice, bob, admin] = await Promise.all([f.customer(), f.customer(), f.admin()]);
  productId = (await f.product(1000, { amountMinor: 300 })).id;
});
afterAll(async () => {
  await f.harness.cleanup();
});

const body = (quantity = 1) => ({
  items: [{ productId, quantity }],
  shippingAddress: address(),
});
const placeFor = async (who: { token: string }, quantity = 1) =>
  orderOf(await f.place(who.token, body(quantity)));

describe("a checkout's answer", () => {
  const read = async (order: Order) =>
    orderOf(await f.send('GET', `/api/orders/${order.id}`, alice.token), 200);

  it('is the order as it was stored, lines in order, whether confirmed or cancelled', async () => {
    const second = await f.product(1000, { amountMinor: 450 });
    const key = randomUUID();
    const lines = {
      items: [
        { productId: second.id, quantity: 2 },
        { productId, quantity: 1 },
      ],
      shippingAddress: address(),
    };
    const confirmed = await orderOf(await f.place(alice.token, lines, key));
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.items.map((item) => item.productId)).toEqual([second.id, productId]);
    expect(confirmed).toEqual(await read(confirmed));
    // The replay answers what was stored for the key: the same order.
    expect(await orderOf(await f.place(alice.token, lines, key))).toEqual(confirmed);

    // More than there is: the saga fails at the stock and cancels the order.
    const scarce = await f.product(1);
    const cancelled = await orderOf(
      await f.place(alice.token, {
        items: [{ productId: scarce.id, quantity: 2 }],
        shippingAddress: address(),
      }),
    );
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelReason).toContain('stock');
    expect(cancelled).toEqual(await read(cancelled));
  });
});

describe('who may do what', () => {
  let order: Order;
  beforeAll(async () => {
    order = await placeFor(alice);
  });
  const routes = () =>
    [
      ['POST', '/api/orders', body()],
      ['GET', '/api/orders', undefined],
      ['GET', `/api/orders/${order.id}`, undefined],
      ['GET', `/api/orders/${order.id}/history`, undefined],
      ['POST', `/api/orders/${order.id}/cancel`, undefined],
    ] as const;

  it('answers 401 without a token, with an expired one and with a forged one', async () => {
    const tokens = [
      undefined,
      await f.expiredToken(alice.userId),
      await f.forgedToken(alice.userId),
    ];
    for (const [method, path, payload] of routes()) {
      for (const token of tokens) {
        const response = await f.send(method, path, token, payload, {
          'idempotency-key': randomUUID(),
        });
        expect(response.status, `${method} ${path}`).toBe(401);
      }
    }
    expect((await f.orders.api.getOrder(order.id))?.status).toBe('confirmed');
  });

  it("answers 404 for another customer's order, and lets admins see it", async () => {
    for (const path of [`/api/orders/${order.id}`, `/api/orders/${order.id}/history`]) {
      expect((await f.send('GET', path, bob.token)).status).toBe(404);
      expect((await f.send('GET', path, admin.token)).status).toBe(200);
    }
    expect((await f.send('POST', `/api/orders/${order.id}/cancel`, bob.token)).status).toBe(404);
    expect((await f.orders.api.getOrder(order.id))?.status).toBe('confirmed');
    expect((await f.send('GET', `/api/orders/${randomUUID()}`, alice.token)).status).toBe(404);
  });

  it("forbids listing another user's orders unless admin", async () => {
    const path = `/api/orders?userId=${alice.userId}`;
    expect((await f.send('GET', path, bob.token)).status).toBe(403);
    await eventually(async () => {
      const page = (await (await f.send('GET', path, admin.token)).json()) as OrderPage;
      expect(page.items.map((item) => item.id)).toContain(order.id);
    });
  });
});

describe('bad input', () => {
  const orderRows = async () =>
    (await f.harness.db.select({ n: count() }).from(orderRecords))[0]?.n ?? 0;

  it('answers 400 with field paths, and writes no order', async () => {
    const before = await orderRows();
    const good = body();
    const bad: [unknown, string][] = [
      [{}, 'json.items'],
      [{ ...good, items: [] }, 'json.items'],
      [{ ...good, items: Array.from({ length: 51 }, () => good.items[0]) }, 'json.items'],
      [{ ...good, items: [{ productId, quantity: 0 }] }, 'json.items.0.quantity'],
      [{ ...good, items: [{ productId, quantity: 1001 }] }, 'json.items.0.quantity'],
      [{ ...good, items: [{ productId, quantity: 1.5 }] }, 'json.items.0.quantity'],
      [{ ...good, items: [{ productId: 'not-a-uuid', quantity: 1 }] }, 'json.items.0.productId'],
      [{ items: good.items }, 'json.shippingAddress'],
      [
        { ...good, shippingAddress: { ...address(), country: 'de' } },
        'json.shippingAddress.country',
      ],
      [{ ...good, shippingAddress: { ...address(), city: ' ' } }, 'json.shippingAddress.city'],
      [{ ...good, cardToken: '' }, 'json.cardToken'],
      [[good], 'json'],
    ];
    for (const [payload, path] of bad) {
      const response = await f.place(alice.token, payload);
      expect(response.status, JSON.stringify(payload).slice(0, 80)).toBe(400);
      const problem = (await response.json()) as { errors: { path: string }[] };
      expect(
        problem.errors.map((error) => error.path),
        JSON.stringify(problem.errors),
      ).toContain(path);
    }
    expect((await f.place(alice.token, '{"items": [')).status).toBe(400);
    expect((await f.send('GET', '/api/orders/not-a-uuid', alice.token)).status).toBe(400);
    expect((await f.send('GET', '/api/orders?pageSize=0', alice.token)).status).toBe(400);
    expect((await f.send('GET', '/api/orders?userId=nope', admin.token)).status).toBe(400);
    expect(await orderRows()).toBe(before);
  });
});

describe('the order list (read model)', () => {
  it('catches up with the events: own orders, newest first, paginated', async () => {
    const carol = await f.customer();
    const placed = [await placeFor(carol, 1), await placeFor(carol, 2), await placeFor(carol, 3)];
    const cancelled = await orderOf(
      await f.send('POST', `/api/orders/${placed[0]!.id}/cancel`, carol.token),
      200,
    );
    expect(cancelled.status).toBe('cancelled');

    const page = await eventually(async () => {
      const response = await f.send('GET', '/api/orders?pageSize=2', carol.token);
      const result = (await response.json()) as OrderPage;
      expect(result.total).toBe(3);
      expect(result.items.map((item) => item.id)).toEqual([placed[2]!.id, placed[1]!.id]);
      return result;
    });
    expect(page.items[0]).toMatchObject({
      status: 'confirmed',
      itemCount: 3,
      total: { amountMinor: 900, currency: 'EUR' },
      userId: carol.userId,
    });
    await eventually(async () => {
      const second = (await (
        await f.send('GET', '/api/orders?pageSize=2&page=2', carol.token)
      ).json()) as OrderPage;
      expect(second.items).toMatchObject([{ id: placed[0]!.id, status: 'cancelled' }]);
    });
  });

  it('tolerates events out of order: an older event never undoes a newer one', async () => {
    const orderId = randomUUID();
    const userId = randomUUID();
    const envelope = <P>(name: string, payload: P, occurredAt: string): EventEnvelope<P> => ({
      name,
      version: 1,
      payload,
      metadata: {
        id: randomUUID(),
        occurredAt,
        correlationId: orderId,
        causationId: null,
        traceId: 'trace',
      },
    });
    const total = { amountMinor: 500, currency: 'EUR' };
    const [onPlaced, onConfirmed, onCancelled] = readModelSubscriptions;
    await f.harness.db.transaction(async (tx) => {
      await onCancelled!.handle(
        envelope('order.cancelled', { orderId, userId, reason: 'x' }, '2030-01-01T00:00:03.000Z'),
        tx,
      );
      await onConfirmed!.handle(
        envelope(
          'order.confirmed',
          { orderId, userId, total, paymentId: randomUUID(), shipmentId: randomUUID() },
          '2030-01-01T00:00:02.000Z',
        ),
        tx,
      );
      await onPlaced!.handle(
        envelope(
          'order.placed',
          {
            orderId,
            userId,
            items: [{ productId, quantity: 2, unitPrice: { amountMinor: 250, currency: 'EUR' } }],
            total,
          },
          '2030-01-01T00:00:01.000Z',
        ),
        tx,
      );
    });
    const [row] = await f.harness.db
      .select()
      .from(orderSummaries)
      .where(eq(orderSummaries.orderId, orderId));
    expect(row).toMatchObject({
      status: 'cancelled',
      itemCount: 2,
      totalMinor: 500,
      createdAt: new Date('2030-01-01T00:00:01.000Z'),
      updatedAt: new Date('2030-01-01T00:00:03.000Z'),
    });
  });
});

describe('cancelling', () => {
  it('compensates a confirmed order: shipment cancelled, refund, history, idempotent', async () => {
    const order = await placeFor(alice, 2);
    const response = await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token);
    const cancelled = await orderOf(response, 200);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'cancelled by customer' });
    expect(f.shipping.shipments.get(order.id)).toMatchObject({
      status: 'cancelled',
      cancelReason: 'cancelled by customer',
    });
    expect(f.payments.payments.get(order.id)).toMatchObject({ status: 'refunded' });
    const again = await orderOf(
      await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token),
      200,
    );
    expect(again).toEqual(cancelled);
    expect(await f.events('order.cancelled', order.id)).toHaveLength(1);

    const history = (await (
      await f.send('GET', `/api/orders/${order.id}/history`, alice.token)
    ).json()) as { entries: { from: string | null; to: string; cause: string; event: string }[] };
    expect(
      history.entries.map(({ from, to, cause, event }) => ({ from, to, cause, event })),
    ).toEqual([
      { from: null, to: 'pending', cause: 'checkout', event: 'order.placed' },
      { from: 'pending', to: 'confirmed', cause: 'checkout saga', event: 'order.confirmed' },
      { from: 'confirmed', to: 'cancelled', cause: 'customer', event: 'order.cancelled' },
    ]);
  });

  it('gives a confirmed order’s stock back when it is cancelled before shipping', async () => {
    const before = await f.stock(productId);
    const order = await placeFor(alice, 3);
    expect(await f.stock(productId)).toMatchObject({
      onHand: before.onHand,
      reserved: before.reserved + 3,
      available: before.available - 3,
    });
    await orderOf(await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token), 200);
    expect(await f.stock(productId)).toEqual(before);
  });

  it('lets an admin cancel anyone’s order, saying so', async () => {
    const order = await placeFor(bob);
    const cancelled = await orderOf(
      await f.send('POST', `/api/orders/${order.id}/cancel`, admin.token),
      200,
    );
    expect(cancelled.cancelReason).toBe('cancelled by admin');
  });

  it('turns a confirmed order shipped on shipment.shipped, after which cancel is 409', async () => {
    const order = await placeFor(alice);
    const shipment = f.shipping.ship(order.id);
    await f.harness.bus.publish(f.harness.db, shipmentShipped, {
      shipmentId: shipment.id,
      orderId: order.id,
      userId: alice.userId,
      carrier: 'DHL',
      trackingNumber: 'DHL-123',
    });
    await eventually(async () => {
      expect((await f.orders.api.getOrder(order.id))?.status).toBe('shipped');
    });
    expect(await f.events('order.shipped', order.id)).toHaveLength(1);
    const response = await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token);
    expect(response.status).toBe(409);
    expect((await f.orders.api.getOrder(order.id))?.status).toBe('shipped');
    expect(f.payments.payments.get(order.id)?.status).toBe('captured');
  });

  it('answers 409 when the parcel left before shipping heard of the cancel, and keeps the order', async () => {
    const order = await placeFor(alice);
    f.shipping.ship(order.id); // shipment.shipped not delivered yet
    const response = await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token);
    expect(response.status).toBe(409);
    expect(await f.orders.api.getOrder(order.id)).toMatchObject({ status: 'confirmed' });
    expect(f.payments.payments.get(order.id)?.status).toBe('captured');
    // The saga stands completed again, so a later cancel is judged afresh.
    expect((await f.send('POST', `/api/orders/${order.id}/cancel`, alice.token)).status).toBe(409);
  });
});

it('stats count orders by status and sum revenue per currency', async () => {
  const stats = await f.orders.api.stats();
  const rows = await f.harness.db.select().from(orderRecords);
  const standing = rows.filter((row) => row.status === 'confirmed' || row.status === 'shipped');
  expect(stats).toMatchObject({
    orders: rows.length,
    confirmed: rows.filter((row) => row.status === 'confirmed').length,
    cancelled: rows.filter((row) => row.status === 'cancelled').length,
    shipped: rows.filter((row) => row.status === 'shipped').length,
    revenue: [
      {
        amountMinor: standing.reduce((sum, row) => sum + row.totalMinor, 0),
        currency: 'EUR',
      },
    ],
  });
});
