import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DECLINING_CARD,
  OUTAGE_CARD,
  OUTAGE_COUNTRY,
  REFUSED_COUNTRY,
} from '../../../test/modules/orders/fake-ports.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { orderRecords } from './schema.ts';

let f: OrdersFixture;
let token: string;

beforeAll(async () => {
  f = await openOrdersFixture('orders-saga');
  ({ token } = await f.customer());
});
afterAll(async () => {
  await f.harness.cleanup();
});

const orderBody = (productId: string, quantity = 1, extra: Record<string, unknown> = {}) => ({
  items: [{ productId, quantity }],
  shippingAddress: address(),
  ...extra,
});

const historyOf = async (orderId: string) => {
  const response = await f.send('GET', `/api/orders/${orderId}/history`, token);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { entries: { from: string | null; to: string }[] };
  return body.entries.map((entry) => `${entry.from ?? '∅'}→${entry.to}`);
};

describe('the happy path', () => {
  it('reserves, captures, schedules and confirms, with prices snapshotted per line', async () => {
    const mug = await f.product(10, { amountMinor: 1250 });
    const kettle = await f.product(4, { amountMinor: 4999 });
    const order = await orderOf(
      await f.place(token, {
        items: [
          { productId: mug.id, quantity: 3 },
          { productId: kettle.id, quantity: 1 },
        ],
        shippingAddress: address(),
        cardToken: 'tok_visa',
      }),
    );

    expect(order).toMatchObject({
      status: 'confirmed',
      total: { amountMinor: 3 * 1250 + 4999, currency: 'EUR' },
      cancelReason: null,
      items: [
        { productId: mug.id, name: mug.name, quantity: 3, lineTotal: { amountMinor: 3750 } },
        { productId: kettle.id, quantity: 1, unitPrice: { amountMinor: 4999, currency: 'EUR' } },
      ],
    });
    const payment = f.payments.payments.get(order.id);
    expect(payment).toMatchObject({ status: 'captured', amount: order.total });
    expect(order.paymentId).toBe(payment?.id);
    expect(order.shipmentId).toBe(f.shipping.shipments.get(order.id)?.id);

    // Confirmed, not shipped: the goods stay on hand but reserved for this order (the catalog
    // commits them when the parcel ships).
    expect(await f.stock(mug.id)).toEqual({
      productId: mug.id,
      onHand: 10,
      reserved: 3,
      available: 7,
    });
    expect(await f.stock(kettle.id)).toEqual({
      productId: kettle.id,
      onHand: 4,
      reserved: 1,
      available: 3,
    });

    expect(await historyOf(order.id)).toEqual(['∅→pending', 'pending→confirmed']);
    expect(await f.events('order.placed', order.id)).toHaveLength(1);
    const [confirmed] = await f.events('order.confirmed', order.id);
    expect(confirmed?.payload).toMatchObject({
      orderId: order.id,
      paymentId: order.paymentId,
      shipmentId: order.shipmentId,
      total: order.total,
    });
    expect(await f.stepLog(order.id)).toEqual({
      reserve_stock: 'succeeded',
      capture_payment: 'succeeded',
      schedule_shipment: 'succeeded',
      confirm: 'succeeded',
    });
  });
});

describe('a failing step cancels the order and undoes what was done', () => {
  it('stock short: cancelled with the SKU, nothing captured, nothing left reserved', async () => {
    const scarce = await f.product(2);
    const order = await orderOf(await f.place(token, orderBody(scarce.id, 3)));
    expect(order.status).toBe('cancelled');
    expect(order.cancelReason).toMatch(
      /^stock unavailable: Insufficient stock for product ORD-\d+/,
    );
    expect(f.payments.captureCalls.get(order.id)).toBeUndefined();
    expect(f.shipping.shipments.get(order.id)).toBeUndefined();
    expect(await f.stock(scarce.id)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
    expect(await historyOf(order.id)).toEqual(['∅→pending', 'pending→cancelled']);
    const [cancelled] = await f.events('order.cancelled', order.id);
    expect(cancelled?.payload).toMatchObject({ reason: order.cancelReason });
    expect(await f.stepLog(order.id)).toEqual({ reserve_stock: 'failed' });
  });

  it('payment declined: cancelled with the reason, stock released, nothing shipped', async () => {
    const product = await f.product(5);
    const order = await orderOf(
      await f.place(token, orderBody(product.id, 2, { cardToken: DECLINING_CARD })),
    );
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'payment declined: insufficient funds',
    });
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(f.shipping.shipments.get(order.id)).toBeUndefined();
    expect(await f.stepLog(order.id)).toEqual({
      reserve_stock: 'compensated',
      capture_payment: 'failed',
    });
    expect(await f.events('order.confirmed', order.id)).toHaveLength(0);
  });

  it('shipping refused: cancelled with its words, payment refunded, stock released', async () => {
    const product = await f.product(5, { amountMinor: 700 });
    const order = await orderOf(
      await f.place(token, {
        ...orderBody(product.id, 2),
        shippingAddress: address(REFUSED_COUNTRY),
      }),
    );
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'shipping refused: We do not ship to AQ.',
    });
    expect(f.payments.payments.get(order.id)).toMatchObject({
      status: 'refunded',
      refundReason: order.cancelReason,
      amount: { amountMinor: 1400 },
    });
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await f.stepLog(order.id)).toEqual({
      reserve_stock: 'compensated',
      capture_payment: 'compensated',
      schedule_shipment: 'failed',
    });
  });

  it('payment provider outage: the unknown capture is refunded too, no stock leaks', async () => {
    const product = await f.product(5);
    const order = await orderOf(
      await f.place(token, orderBody(product.id, 1, { cardToken: OUTAGE_CARD })),
    );
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'payment could not be taken: payment provider unavailable',
    });
    expect(f.payments.payments.get(order.id)).toBeUndefined();
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
    // It failed without a definite answer, so its compensation ran as well.
    expect(await f.stepLog(order.id)).toEqual({
      reserve_stock: 'compensated',
      capture_payment: 'compensated',
    });
  });

  it('shipping outage: shipment cancelled in case it was booked, refund, release', async () => {
    const product = await f.product(5);
    const order = await orderOf(
      await f.place(token, { ...orderBody(product.id), shippingAddress: address(OUTAGE_COUNTRY) }),
    );
    expect(order.cancelReason).toBe('shipment could not be scheduled: shipping unavailable');
    expect(f.payments.payments.get(order.id)?.status).toBe('refunded');
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
  });
});

describe('pricing refuses before anything is written', () => {
  const orderCount = async () =>
    (await f.harness.db.select({ n: count() }).from(orderRecords))[0]?.n ?? 0;

  it('unknown product → 400 with the line, inactive → 409, mixed currencies → 400', async () => {
    const before = await orderCount();
    const euro = await f.product(5);
    const dollar = await f.product(5, { currency: 'USD' });
    const inactive = await f.product(5, { active: false });

    const unknown = await f.place(token, {
      items: [
        { productId: euro.id, quantity: 1 },
        { productId: crypto.randomUUID(), quantity: 1 },
      ],
      shippingAddress: address(),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { path: string }[] }).errors).toEqual([
      expect.objectContaining({ path: 'items.1.productId' }),
    ]);
    expect((await f.place(token, orderBody(inactive.id))).status).toBe(409);
    const mixed = await f.place(token, {
      items: [
        { productId: euro.id, quantity: 1 },
        { productId: dollar.id, quantity: 1 },
      ],
      shippingAddress: address(),
    });
    expect(mixed.status).toBe(400);
    expect(await orderCount()).toBe(before);
    expect(await f.stock(euro.id)).toMatchObject({ reserved: 0 });
  });

  it('refuses a total beyond one payment', async () => {
    const pricey = await f.product(5000, { amountMinor: 2_000_000_000 });
    const response = await f.place(token, orderBody(pricey.id, 2));
    expect(response.status).toBe(400);
  });
});

describe('contention', () => {
  it('20 concurrent checkouts for the last 5 units: exactly 5 confirmed', async () => {
    const last = await f.product(5);
    const customers = await Promise.all(Array.from({ length: 20 }, () => f.customer()));
    const orders = await Promise.all(
      customers.map(async (customer) => orderOf(await f.place(customer.token, orderBody(last.id)))),
    );
    const confirmed = orders.filter((order) => order.status === 'confirmed');
    const cancelled = orders.filter((order) => order.status === 'cancelled');
    expect(confirmed).toHaveLength(5);
    expect(cancelled).toHaveLength(15);
    for (const order of cancelled) expect(order.cancelReason).toContain('Insufficient stock');
    // The five confirmed orders hold every unit as a reservation until their parcels ship.
    expect(await f.stock(last.id)).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    // Money was taken for the confirmed orders only.
    const captured = orders.filter((o) => f.payments.payments.get(o.id)?.status === 'captured');
    expect(captured.map((o) => o.id).sort()).toEqual(confirmed.map((o) => o.id).sort());
    const rows = await f.harness.db
      .select({ status: orderRecords.status })
      .from(orderRecords)
      .where(eq(orderRecords.status, 'pending'));
    expect(rows).toHaveLength(0);
  });
});
