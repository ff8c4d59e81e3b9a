import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failNext, REFUSED_COUNTRY } from '../../../test/modules/orders/fake-ports.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
  orderOf,
} from '../../../test/modules/orders/fixture.ts';
import { refusedDatabaseConnection } from '../../../test/support/infrastructure-errors.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import {
  DeadlineExceeded,
  isInfrastructureError,
} from '../../platform/resilience/infrastructure-error.ts';
import type { Order } from './contracts.ts';
import { checkoutSagas, orderHistory, orderRecords } from './schema.ts';

// An outage of our own infrastructure under a saga step is not the step's answer: the step is
// retried (it is idempotent), and no order is cancelled or refunded for it. The fakes throw
// the error a query really gets while PostgreSQL is unreachable.

let f: OrdersFixture;
let token: string;
let refused: Error;

beforeAll(async () => {
  f = await openOrdersFixture('orders-outage');
  ({ token } = await f.customer());
  refused = await refusedDatabaseConnection();
});
afterAll(async () => {
  await f.harness.cleanup();
});

const orderBody = (productId: string, country = 'DE') => ({
  items: [{ productId, quantity: 2 }],
  shippingAddress: address(country),
});

const historyOf = async (orderId: string) =>
  (
    await f.harness.db
      .select({ from: orderHistory.fromStatus, to: orderHistory.toStatus })
      .from(orderHistory)
      .where(eq(orderHistory.orderId, orderId))
      .orderBy(orderHistory.id)
  ).map((entry) => `${entry.from ?? '∅'}→${entry.to}`);

const sagaOf = async (orderId: string) =>
  (await f.harness.db.select().from(checkoutSagas).where(eq(checkoutSagas.orderId, orderId)))[0];

async function expectConfirmedOnce(order: Order, productId: string) {
  expect(order).toMatchObject({ status: 'confirmed', cancelReason: null });
  const payment = f.payments.payments.get(order.id);
  expect(payment).toMatchObject({ status: 'captured', id: order.paymentId });
  expect(f.shipping.shipments.get(order.id)).toMatchObject({
    status: 'scheduled',
    id: order.shipmentId,
  });
  expect(await f.stock(productId)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
  expect(await f.stepLog(order.id)).toEqual({
    reserve_stock: 'succeeded',
    capture_payment: 'succeeded',
    schedule_shipment: 'succeeded',
    confirm: 'succeeded',
  });
  expect(await historyOf(order.id)).toEqual(['∅→pending', 'pending→confirmed']);
  expect(await f.events('order.cancelled', order.id)).toHaveLength(0);
}

it('stands on a real outage: the error postgres.js gives for a refused connection', () => {
  expect(refused.cause).toMatchObject({ code: 'ECONNREFUSED' });
  expect(isInfrastructureError(refused)).toBe(true);
});

describe('a step that meets an outage is retried until it works', () => {
  it('reserving stock: confirmed, reserved once', async () => {
    const product = await f.product(10);
    const outage = failNext(f.ports.inventory, 'reserve', 3, refused);
    try {
      const order = await orderOf(await f.place(token, orderBody(product.id)));
      await expectConfirmedOnce(order, product.id);
      expect(outage.calls).toBe(4);
      expect(await f.events('stock.reserved', order.id)).toHaveLength(1);
    } finally {
      outage.restore();
    }
  });

  it('taking the payment, its answer lost after the charge: confirmed, charged once', async () => {
    const product = await f.product(10);
    const outage = failNext(f.payments, 'capture', 3, refused, { afterEffect: true });
    try {
      const order = await orderOf(await f.place(token, orderBody(product.id)));
      await expectConfirmedOnce(order, product.id);
      // Four calls reached payments; the first one charged, the others found its payment.
      expect(f.payments.captureCalls.get(order.id)).toBe(4);
      expect(f.payments.payments.get(order.id)?.refundReason).toBeUndefined();
    } finally {
      outage.restore();
    }
  });

  it('scheduling the shipment past a deadline: confirmed, one shipment, nothing refunded', async () => {
    const product = await f.product(10);
    const deadline = new DeadlineExceeded('statement exceeded its 2000 ms deadline');
    const outage = failNext(f.shipping, 'schedule', 2, deadline, { afterEffect: true });
    try {
      const order = await orderOf(await f.place(token, orderBody(product.id)));
      await expectConfirmedOnce(order, product.id);
      expect(f.shipping.scheduleCalls.get(order.id)).toBe(3);
    } finally {
      outage.restore();
    }
  });
});

describe('what is not an outage keeps its meaning', () => {
  it('payments answering 503 "provider unreachable, nothing recorded" still cancels', async () => {
    const product = await f.product(10);
    // The cause is a lost connection, but the answer is payments': its provider is down.
    const unavailable = new ProblemError(503, 'The payment provider is unavailable.');
    unavailable.cause = refused;
    const outage = failNext(f.payments, 'capture', 1, unavailable);
    try {
      const order = await orderOf(await f.place(token, orderBody(product.id)));
      expect(order).toMatchObject({
        status: 'cancelled',
        cancelReason: 'payment could not be taken: payment provider unavailable',
      });
      expect(outage.calls).toBe(1);
      expect(await f.stock(product.id)).toMatchObject({ reserved: 0 });
    } finally {
      outage.restore();
    }
  });
});

describe('an outage during compensation', () => {
  it('is retried, and the order is cancelled for its real reason within the request', async () => {
    const product = await f.product(10);
    const outage = failNext(f.payments, 'refund', 2, refused);
    try {
      const order = await orderOf(await f.place(token, orderBody(product.id, REFUSED_COUNTRY)));
      expect(order).toMatchObject({
        status: 'cancelled',
        cancelReason: 'shipping refused: We do not ship to AQ.',
      });
      expect(outage.calls).toBe(3);
      expect(f.payments.payments.get(order.id)).toMatchObject({
        status: 'refunded',
        refundReason: order.cancelReason,
      });
      expect(await f.stock(product.id)).toMatchObject({ onHand: 10, reserved: 0 });
      expect(await f.stepLog(order.id)).toEqual({
        reserve_stock: 'compensated',
        capture_payment: 'compensated',
        schedule_shipment: 'failed',
      });
    } finally {
      outage.restore();
    }
  });
});

describe('an outage longer than the retry budget', () => {
  it('answers 503 and leaves the saga to recovery, which confirms it: nothing cancelled or refunded', async () => {
    const product = await f.product(10);
    const impatient = f.newInstance({ sagaOutageRetryMs: 300, sagaRetryDelayMs: 0 });
    const userId = randomUUID();
    const input = { userId, ...orderBody(product.id) };
    const key = randomUUID();
    const outage = failNext(f.payments, 'capture', Number.POSITIVE_INFINITY, refused);
    try {
      await expect(impatient.api.placeOrder(input, key)).rejects.toMatchObject({
        status: 503,
        headers: { 'Retry-After': expect.any(String) },
      });
    } finally {
      outage.restore();
    }
    expect(outage.calls).toBeGreaterThan(1);
    const [row] = await f.harness.db
      .select({ id: orderRecords.id, status: orderRecords.status })
      .from(orderRecords)
      .where(eq(orderRecords.userId, userId));
    if (!row) throw new Error('the order was not created');
    expect(row.status).toBe('pending');
    // Postponed, not failed: still running forward, its lease let go for recovery.
    expect(await sagaOf(row.id)).toMatchObject({
      state: 'running',
      failure: null,
      leaseOwner: null,
      lastError: expect.stringMatching(/^capture_payment: .*ECONNREFUSED/),
    });
    expect(await f.stepLog(row.id)).toEqual({
      reserve_stock: 'succeeded',
      capture_payment: 'started',
    });
    expect(await f.stock(product.id)).toMatchObject({ reserved: 2 });

    const recovering = f.newInstance();
    await recovering.start?.();
    await recovering.stop?.();
    const replay = await impatient.api.placeOrder(input, key);
    expect(replay.replayed).toBe(true);
    await expectConfirmedOnce(replay.order, product.id);
  });
});
