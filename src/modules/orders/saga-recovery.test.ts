import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_COUNTRY } from '../../../test/modules/orders/fake-ports.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import { eventually } from '../../../test/support/services.ts';
import type { SagaStepName } from './contracts.ts';
import type { OrdersApi } from './index.ts';
import { SimulatedCrash } from './saga-runner.ts';
import { checkoutSagas } from './schema.ts';

// A "crash" is SAGA_CRASH_AFTER: the saga stops dead right after a step's success is
// committed, leaving its lease behind like a killed process. A killed process's lease lapses
// after sagaLeaseMs; the crashing instances here use a short one so recovery need not wait.
const SHORT_LEASE = 100;

let f: OrdersFixture;

beforeAll(async () => {
  f = await openOrdersFixture('orders-recovery');
});
afterAll(async () => {
  await f.harness.cleanup();
});

const input = (productId: string, country = 'DE') => ({
  userId: randomUUID(),
  items: [{ productId, quantity: 2 }],
  shippingAddress: address(country),
});

async function crash(api: OrdersApi, request: ReturnType<typeof input>, key = randomUUID()) {
  const error = await api.placeOrder(request, key).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SimulatedCrash);
}

const sagaOf = async (orderId: string) =>
  (await f.harness.db.select().from(checkoutSagas).where(eq(checkoutSagas.orderId, orderId)))[0];

const orderIdOf = async (userId: string) => {
  const rows = await f.harness.db.select().from(checkoutSagas);
  for (const row of rows) {
    const order = await f.orders.api.getOrder(row.orderId);
    if (order?.userId === userId) return order.id;
  }
  throw new Error(`no order for user ${userId}`);
};

describe.each<SagaStepName>(['reserve_stock', 'capture_payment', 'schedule_shipment'])(
  'a crash right after %s',
  (step) => {
    it('is completed forward by the next start: confirmed, stock reserved once, one payment, one shipment', async () => {
      const product = await f.product(10, { amountMinor: 500 });
      const request = input(product.id);
      await crash(f.newInstance({ crashAfter: step, sagaLeaseMs: SHORT_LEASE }).api, request);

      const orderId = await orderIdOf(request.userId);
      expect((await f.orders.api.getOrder(orderId))?.status).toBe('pending');
      expect((await f.stepLog(orderId))[step]).toBe('succeeded');
      expect(await f.stock(product.id)).toMatchObject({ onHand: 10, reserved: 2 });

      await sleep(SHORT_LEASE + 50);
      const restarted = f.newInstance();
      await restarted.start?.();
      await restarted.stop?.();

      const order = await f.orders.api.getOrder(orderId);
      expect(order?.status).toBe('confirmed');
      // Still reserved exactly once: confirming keeps the reservation until the parcel ships.
      expect(await f.stock(product.id)).toEqual({
        productId: product.id,
        onHand: 10,
        reserved: 2,
        available: 8,
      });
      expect(f.payments.captureCalls.get(orderId)).toBe(1);
      expect(f.payments.payments.get(orderId)).toMatchObject({
        status: 'captured',
        id: order?.paymentId,
      });
      expect(f.shipping.shipments.get(orderId)).toMatchObject({
        status: 'scheduled',
        id: order?.shipmentId,
      });
      expect(await f.events('order.confirmed', orderId)).toHaveLength(1);
      expect(await f.events('stock.reserved', orderId)).toHaveLength(1);
      expect(await sagaOf(orderId)).toMatchObject({ state: 'completed', cardToken: null });
      // The recovered saga's events stay in the placing call's chain.
      const [placed] = await f.events('order.placed', orderId);
      const [confirmed] = await f.events('order.confirmed', orderId);
      expect(confirmed?.metadata.correlationId).toBe(placed?.metadata.correlationId);
    });
  },
);

describe('recovery that must compensate', () => {
  it('a crash after capture, then shipping refuses: refunded, released, cancelled', async () => {
    const product = await f.product(10);
    const request = input(product.id, REFUSED_COUNTRY);
    await crash(
      f.newInstance({ crashAfter: 'capture_payment', sagaLeaseMs: SHORT_LEASE }).api,
      request,
    );
    const orderId = await orderIdOf(request.userId);
    expect(f.payments.payments.get(orderId)?.status).toBe('captured');

    await sleep(SHORT_LEASE + 50);
    await recoverUnfinishedSagasWith(f.newInstance());

    const order = await f.orders.api.getOrder(orderId);
    expect(order).toMatchObject({
      status: 'cancelled',
      cancelReason: 'shipping refused: We do not ship to AQ.',
    });
    expect(f.payments.payments.get(orderId)?.status).toBe('refunded');
    expect(await f.stock(product.id)).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('a saga whose compensation failed is compensated by a later sweep', async () => {
    const product = await f.product(10);
    const placing = f.newInstance({ sagaRetryDelayMs: 0 });
    f.payments.refundsDown = true;
    const key = randomUUID();
    const request = input(product.id, REFUSED_COUNTRY);
    const stalled = await placing.api.placeOrder(request, key).then(
      () => undefined,
      (error: unknown) => error,
    );
    f.payments.refundsDown = false;
    expect(stalled).toMatchObject({ status: 503 });
    const orderId = await orderIdOf(request.userId);
    expect((await f.orders.api.getOrder(orderId))?.status).toBe('pending');
    expect(await sagaOf(orderId)).toMatchObject({ state: 'compensating' });

    await recoverUnfinishedSagasWith(f.newInstance());
    expect(await f.orders.api.getOrder(orderId)).toMatchObject({
      status: 'cancelled',
      cancelReason: 'shipping refused: We do not ship to AQ.',
    });
    expect(f.payments.payments.get(orderId)?.status).toBe('refunded');
    expect(await f.stock(product.id)).toMatchObject({ reserved: 0 });
    // The customer's retry now gets the outcome.
    const replay = await placing.api.placeOrder(request, key);
    expect(replay).toMatchObject({ replayed: true, order: { id: orderId, status: 'cancelled' } });
  });
});

async function recoverUnfinishedSagasWith(module: ReturnType<OrdersFixture['newInstance']>) {
  await module.start?.();
  await module.stop?.();
}

describe('several processes', () => {
  it('leaves alone a saga whose driver still holds its lease', async () => {
    const product = await f.product(10);
    const request = input(product.id);
    // The default lease: as far as anyone can tell, its process is alive and busy.
    await crash(f.newInstance({ crashAfter: 'reserve_stock' }).api, request);
    const orderId = await orderIdOf(request.userId);
    await recoverUnfinishedSagasWith(f.newInstance());
    expect((await f.orders.api.getOrder(orderId))?.status).toBe('pending');
    expect(f.payments.captureCalls.get(orderId)).toBeUndefined();
  });

  it('a driver that lost its lease mid-step writes nothing of that step', async () => {
    const product = await f.product(10);
    const request = input(product.id);
    const driver = f.newInstance({ replayWaitMs: 50 });
    // While the payment is being taken, another process takes the saga over.
    const capture = f.payments.capture;
    f.payments.capture = async (payment, context) => {
      await f.harness.db
        .update(checkoutSagas)
        .set({ leaseOwner: 'another-process' })
        .where(eq(checkoutSagas.orderId, payment.orderId));
      return capture(payment, context);
    };
    try {
      // The old driver stops and answers like any duplicate whose first request is still running.
      await expect(driver.api.placeOrder(request, randomUUID())).rejects.toMatchObject({
        status: 409,
      });
    } finally {
      f.payments.capture = capture;
    }
    const orderId = await orderIdOf(request.userId);
    expect(await f.stepLog(orderId)).toEqual({
      reserve_stock: 'succeeded',
      capture_payment: 'started',
    });
    expect((await f.orders.api.getOrder(orderId))?.paymentId).toBeNull();
    expect((await sagaOf(orderId))?.leaseOwner).toBe('another-process');
  });

  it('recovering at the same moment, they split the sagas: each is driven once', async () => {
    const product = await f.product(50);
    const requests = Array.from({ length: 6 }, () => input(product.id));
    const crashing = f.newInstance({ crashAfter: 'reserve_stock', sagaLeaseMs: SHORT_LEASE });
    for (const request of requests) await crash(crashing.api, request);
    await sleep(SHORT_LEASE + 50);

    const processes = [f.newInstance(), f.newInstance(), f.newInstance()];
    await Promise.all(processes.map((module) => module.start?.()));
    // stop() waits for the sweep start() began.
    await Promise.all(processes.map((module) => module.stop?.()));
    for (const request of requests) {
      const orderId = await orderIdOf(request.userId);
      expect((await f.orders.api.getOrder(orderId))?.status).toBe('confirmed');
      expect(f.payments.captureCalls.get(orderId)).toBe(1);
      expect(await f.events('order.confirmed', orderId)).toHaveLength(1);
    }
    // Six sagas of two units each, every one reserved once and none committed before shipping.
    expect(await f.stock(product.id)).toMatchObject({
      onHand: 50,
      reserved: 6 * 2,
      available: 50 - 6 * 2,
    });
  });
});

describe('recovery with slow steps', () => {
  it('two processes, each claiming several sagas: a claim that lapsed before its turn is not driven; each saga once', async () => {
    const product = await f.product(50);
    const requests = Array.from({ length: 3 }, () => input(product.id));
    const crashing = f.newInstance({ crashAfter: 'reserve_stock', sagaLeaseMs: SHORT_LEASE });
    for (const request of requests) await crash(crashing.api, request);
    await sleep(SHORT_LEASE + 50);

    // A capture outlasts the lease: a process driving one saga lets its other claims lapse.
    const LEASE = 600;
    const capture = f.payments.capture;
    let capturing = 0;
    f.payments.capture = async (payment, context) => {
      capturing += 1;
      await sleep(LEASE + 300);
      return capture(payment, context);
    };
    const recovering = () => f.newInstance({ sagaLeaseMs: LEASE, recoveryIntervalMs: 50 });
    const first = recovering();
    const second = recovering();
    try {
      await first.start?.();
      // The first process claimed all three and is capturing the first one's payment.
      await eventually(() => expect(capturing).toBe(1));
      await second.start?.();
      const orderIds = await Promise.all(requests.map((request) => orderIdOf(request.userId)));
      await eventually(
        async () => {
          for (const orderId of orderIds) {
            expect((await f.orders.api.getOrder(orderId))?.status).toBe('confirmed');
          }
        },
        { timeoutMs: 20_000 },
      );
    } finally {
      await Promise.all([first.stop?.(), second.stop?.()]);
      f.payments.capture = capture;
    }
    for (const request of requests) {
      const orderId = await orderIdOf(request.userId);
      expect(f.payments.captureCalls.get(orderId)).toBe(1);
      expect(f.shipping.scheduleCalls.get(orderId)).toBe(1);
      expect(await f.events('order.confirmed', orderId)).toHaveLength(1);
      expect(await f.stepLog(orderId)).toEqual({
        reserve_stock: 'succeeded',
        capture_payment: 'succeeded',
        schedule_shipment: 'succeeded',
        confirm: 'succeeded',
      });
    }
    expect(await f.stock(product.id)).toMatchObject({ onHand: 50, reserved: 3 * 2 });
  });
});

describe('the simulated crash over HTTP, and the customer retrying', () => {
  it('answers 500, and a retry with the same key finishes the checkout once the lease lapses', async () => {
    const product = await f.product(10);
    const { token, userId } = await f.customer();
    const crashing = f.newInstance({ crashAfter: 'capture_payment', sagaLeaseMs: SHORT_LEASE });
    const body = { items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() };
    const key = randomUUID();
    const response = await f.appFor(crashing).request('/api/orders', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(500);
    const orderId = await orderIdOf(userId);

    const retry = await f.place(token, body, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ id: orderId, status: 'confirmed' });
    expect(f.payments.captureCalls.get(orderId)).toBe(1);
  });
});
