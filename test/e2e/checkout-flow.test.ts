import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/services.ts';
import {
  berlin,
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { type Order, shop } from './shop.ts';

// The whole path a shopper takes, over HTTP, in both ways the product runs.
describe.each(['embedded', 'postgres+redis'] as const)('checkout flow (%s)', (mode) => {
  let environment: Environment;
  let running: Running;

  beforeAll(async () => {
    environment = await prepareEnvironment(mode, `flow_${mode.replace(/\W/g, '_')}`);
    running = await runMonolith(environment);
  });
  afterAll(async () => {
    await running?.monolith.stop();
    await environment?.cleanup();
  });

  it('register → login → browse → cart → checkout → confirmed, paid, shipped, notified', async () => {
    const { api } = running;
    const steps = shop(api);
    const customer = await steps.newCustomer();

    const page = await api.get<{ items: Array<{ id: string; price: { amountMinor: number } }> }>(
      '/api/products?sort=price&pageSize=5',
    );
    expect(page.status).toBe(200);
    const product = page.body.items[0]!;
    const stockBefore = await steps.stock(product.id);

    const added = await api.post<{ total: { amountMinor: number } }>(
      '/api/cart/items',
      { productId: product.id, quantity: 2 },
      customer.token,
    );
    expect(added.status).toBe(200);
    expect(added.body.total.amountMinor).toBe(2 * product.price.amountMinor);

    const key = randomUUID();
    const checkout = await api.post<{ order: Order; cartEmptied: boolean }>(
      '/api/cart/checkout',
      { shippingAddress: berlin },
      customer.token,
      { 'idempotency-key': key },
    );
    expect(checkout.status).toBe(201);
    const order = checkout.body.order;
    expect(order).toMatchObject({
      status: 'confirmed',
      total: { amountMinor: 2 * product.price.amountMinor },
    });
    expect(checkout.body.cartEmptied).toBe(true);
    expect((await api.get<{ items: unknown[] }>('/api/cart', customer.token)).body.items).toEqual(
      [],
    );

    const payment = await api.get<{ status: string; amount: { amountMinor: number } }>(
      `/api/payments/${order.paymentId}`,
      customer.token,
    );
    expect(payment.body).toMatchObject({ status: 'captured', amount: order.total });
    const shipment = await api.get<{ status: string; trackingNumber: string }>(
      `/api/shipments/${order.id}`,
      customer.token,
    );
    expect(shipment.body.status).toBe('scheduled');

    // Confirmed: the two units are held for the order until they ship.
    expect(await steps.stock(product.id)).toEqual({
      ...stockBefore,
      reserved: stockBefore.reserved + 2,
      available: stockBefore.available - 2,
    });

    // Events arrive asynchronously: the read model and the notifications catch up.
    await eventually(async () => {
      const list = await api.get<{ items: Array<{ id: string; status: string }> }>(
        '/api/orders',
        customer.token,
      );
      expect(list.body.items).toContainEqual(
        expect.objectContaining({ id: order.id, status: 'confirmed' }),
      );
      const notifications = await api.get<{ items: Array<{ kind: string }> }>(
        '/api/notifications',
        customer.token,
      );
      expect(notifications.body.items.map((n) => n.kind).sort()).toEqual(
        ['order_confirmed', 'shipment_scheduled', 'welcome'].sort(),
      );
    });

    // An admin ships it; the order follows through the shipment.shipped event.
    const admin = await steps.adminToken();
    expect((await api.post(`/api/shipments/${order.id}/ship`, {}, admin)).status).toBe(200);
    await eventually(async () => {
      const shipped = await api.get<Order>(`/api/orders/${order.id}`, customer.token);
      expect(shipped.body.status).toBe('shipped');
    });
    // Shipped: the units have left the warehouse.
    await eventually(async () =>
      expect(await steps.stock(product.id)).toEqual({
        ...stockBefore,
        onHand: stockBefore.onHand - 2,
        available: stockBefore.available - 2,
      }),
    );
    const history = await steps.history(order.id, customer.token);
    expect(history.map((entry) => entry.to)).toEqual(['pending', 'confirmed', 'shipped']);

    // Replaying the checkout answers the same order and charges nothing more.
    const replay = await api.post<{ order: Order }>(
      '/api/cart/checkout',
      { shippingAddress: berlin },
      customer.token,
      {
        'idempotency-key': key,
      },
    );
    expect(replay.body.order.id).toBe(order.id);
    const dashboard = await api.get<{
      data: { orders: { confirmed: number } };
      unavailable: unknown[];
    }>('/api/admin/dashboard', admin);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.unavailable).toEqual([]);
  });
});
