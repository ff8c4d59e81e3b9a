import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/services.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { type Order, shop } from './shop.ts';

// Every way the checkout saga can fail, with the real modules on PostgreSQL and Redis: each ends
// consistent — no stock leaked, no money kept without a confirmed order, a reason, a full history.
let environment: Environment;
let running: Running;
let admin: string;

beforeAll(async () => {
  environment = await prepareEnvironment('postgres+redis', 'saga_failures');
  running = await runMonolith(environment);
  admin = await shop(running.api).adminToken();
});
afterAll(async () => {
  await running?.monolith.stop();
  await environment?.cleanup();
});

/** Cancelled with the reason, in its history; no saga here gets as far as a shipment. */
async function expectCancelledCleanly(order: Order, token: string, reason: RegExp) {
  const { api } = running;
  expect(order.status).toBe('cancelled');
  expect(order.cancelReason).toMatch(reason);
  const shipment = await api.get(`/api/shipments/${order.id}`, admin);
  expect(shipment.status).toBe(404);
  const history = await shop(api).history(order.id, token);
  expect(history.map((entry) => entry.to)).toEqual(['pending', 'cancelled']);
  expect(history[1]?.detail ?? '').toMatch(reason);
}

/** What the payments side holds for the order: the status of each payment row. */
async function storedPayments(orderId: string): Promise<string[]> {
  const rows = (await running.monolith.database.db.execute(
    sql`select status from payments.payments where order_id = ${orderId}`,
  )) as unknown as Array<{ status: string }>;
  return rows.map((row) => row.status);
}

describe('checkout saga failures (real modules, PostgreSQL + Redis)', () => {
  it('stock short: cancelled, nothing charged, nothing reserved', async () => {
    const steps = shop(running.api);
    const customer = await steps.newCustomer();
    const product = await steps.newProduct(admin, 1_500, 1);
    const reply = await steps.placeOrder(customer.token, [{ productId: product, quantity: 2 }]);
    await expectCancelledCleanly(reply.body, customer.token, /stock/i);
    expect(reply.body.paymentId).toBeNull();
    expect(await storedPayments(reply.body.id)).toEqual([]);
    expect(await steps.stock(product)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
  });

  it('payment declined: cancelled, stock released', async () => {
    const steps = shop(running.api);
    const customer = await steps.newCustomer();
    const product = await steps.newProduct(admin, 1_013, 5); // the sandbox declines amounts ending in 13
    const reply = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }]);
    await expectCancelledCleanly(reply.body, customer.token, /declined|insufficient funds/i);
    expect(reply.body.paymentId).toBeNull();
    expect(await storedPayments(reply.body.id)).toEqual(['failed']);
    expect(await steps.stock(product)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });

  it('payment provider down: cancelled, stock released, nothing charged', async () => {
    const steps = shop(running.api);
    const customer = await steps.newCustomer();
    const product = await steps.newProduct(admin, 2_000, 5);
    const reply = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }], {
      cardToken: 'tok_error',
    });
    await expectCancelledCleanly(reply.body, customer.token, /payment/i);
    expect(reply.body.paymentId).toBeNull();
    expect(await storedPayments(reply.body.id)).toEqual([]);
    expect(await steps.stock(product)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });

  it('shipping refuses the destination: cancelled, payment refunded, stock released', async () => {
    const steps = shop(running.api);
    const customer = await steps.newCustomer();
    const product = await steps.newProduct(admin, 2_500, 5);
    const reply = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }], {
      country: 'AQ',
    });
    await expectCancelledCleanly(reply.body, customer.token, /ship/i);
    const payment = await running.api.get<{ status: string }>(
      `/api/payments/${reply.body.paymentId}`,
      admin,
    );
    expect(payment.body.status).toBe('refunded');
    expect(await storedPayments(reply.body.id)).toEqual(['refunded']);
    expect(await steps.stock(product)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });

  it('replaying an idempotency key answers the first order and charges once; another body is 422', async () => {
    const steps = shop(running.api);
    const customer = await steps.newCustomer();
    const product = await steps.newProduct(admin, 3_000, 5);
    const key = randomUUID();
    const first = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }], {
      key,
    });
    const again = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }], {
      key,
    });
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.paymentId).toBe(first.body.paymentId);
    expect(await steps.stock(product)).toMatchObject({ onHand: 5, reserved: 1, available: 4 });
    const other = await steps.placeOrder(customer.token, [{ productId: product, quantity: 2 }], {
      key,
    });
    expect(other.status).toBe(422);
    // The list is the read model, fed by events: it may lag, but it must come to one order.
    const orders = await eventually(async () => {
      const list = await running.api.get<{ total: number; items: Array<{ id: string }> }>(
        '/api/orders',
        customer.token,
      );
      expect(list.body.total).toBe(1);
      return list.body;
    });
    expect(orders.items.map((item) => item.id)).toEqual([first.body.id]);
    expect(await storedPayments(first.body.id)).toEqual(['captured']);
  });

  it('20 concurrent checkouts for the last 5 units confirm exactly 5', async () => {
    const steps = shop(running.api);
    const product = await steps.newProduct(admin, 1_200, 5);
    const customers = await Promise.all(Array.from({ length: 4 }, () => steps.newCustomer()));
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        steps.placeOrder(customers[i % customers.length]!.token, [
          { productId: product, quantity: 1 },
        ]),
      ),
    );
    const statuses = replies.map((reply) => reply.body.status);
    expect(statuses.filter((s) => s === 'confirmed')).toHaveLength(5);
    expect(statuses.filter((s) => s === 'cancelled')).toHaveLength(15);
    expect(await steps.stock(product)).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
  });
});

describe('crash between saga steps, then restart (real modules, PostgreSQL + Redis)', () => {
  it.each(['reserve_stock', 'capture_payment', 'schedule_shipment'] as const)(
    'a process dying after %s leaves an order the next start completes',
    async (step) => {
      // A short lease stands in for "long enough that the dead process is not coming back".
      const fastRecovery = { SAGA_LEASE_MS: '300', SAGA_RECOVERY_INTERVAL_MS: '100' };
      const crashing = await runMonolith(environment, { ...fastRecovery, SAGA_CRASH_AFTER: step });
      const steps = shop(crashing.api);
      const adminToken = await steps.adminToken();
      const customer = await steps.newCustomer();
      const product = await steps.newProduct(adminToken, 4_000, 3);
      const crashed = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }]);
      expect(crashed.status).toBe(500);
      await crashing.monolith.stop();

      const restarted = await runMonolith(environment, fastRecovery);
      try {
        const api = restarted.api;
        // The list is the read model: order.placed may still sit in the outbox the crashed
        // process left, for this one to relay.
        const orderId = await eventually(async () => {
          const list = await api.get<{ items: Array<{ id: string }> }>(
            '/api/orders',
            customer.token,
          );
          const id = list.body.items[0]?.id;
          expect(id).toBeDefined();
          return id;
        });
        const order = await eventually(async () => {
          const reply = await api.get<Order>(`/api/orders/${orderId}`, customer.token);
          expect(reply.body.status).toBe('confirmed');
          return reply;
        });
        const payment = await api.get<{ status: string }>(
          `/api/payments/${order.body.paymentId}`,
          adminToken,
        );
        expect(payment.body.status).toBe('captured');
        // Reserved once, not twice; it leaves on hand only when it ships.
        expect(await shop(api).stock(product)).toMatchObject({
          onHand: 3,
          reserved: 1,
          available: 2,
        });
      } finally {
        await restarted.monolith.stop();
      }
    },
  );
});
