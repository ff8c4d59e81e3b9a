import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { expectProblem } from '../../../test/support/problem.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import type { Shipment } from './contracts.ts';
import { createShippingModule, type ShippingApi } from './index.ts';

let db: Database;
let cleanup: () => Promise<void>;
let harness: ModuleHarness;
let shipping: Module<ShippingApi>;
let tokenFor: ModuleHarness['tokenFor'];
let expiredToken: string;
let forgedToken: string;
let adminToken: string;

beforeAll(async () => {
  harness = await openModuleHarness('shipping-routes');
  ({ db, cleanup, tokenFor } = harness);
  shipping = createShippingModule(harness.context);
  harness.mount(shipping);
  const adminId = randomUUID();
  expiredToken = await harness.expiredTokenFor(['admin'], adminId);
  forgedToken = await harness.forgedTokenFor(['admin'], adminId);
  adminToken = await tokenFor(['admin']);
});
afterAll(async () => {
  await cleanup();
});

const call = (method: string, path: string, token?: string) =>
  harness.send(method, path, { token });

async function scheduled(userId = randomUUID()): Promise<Shipment> {
  return shipping.api.schedule({
    orderId: randomUUID(),
    userId,
    address: {
      name: 'Jan de Vries',
      line1: 'Keizersgracht 1',
      postalCode: '1015 CJ',
      city: 'Amsterdam',
      country: 'NL',
    },
    items: [{ productId: randomUUID(), quantity: 1 }],
  });
}

const shippedEvents = (orderId: string) => outboxEvents(db, 'shipment.shipped', orderId);

describe('GET /api/shipments/{orderId}', () => {
  it('shows the owner their shipment', async () => {
    const userId = randomUUID();
    const shipment = await scheduled(userId);
    const response = await call(
      'GET',
      `/api/shipments/${shipment.orderId}`,
      await tokenFor(['customer'], userId),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(shipment);
  });

  it('shows an admin any shipment', async () => {
    const shipment = await scheduled();
    const response = await call('GET', `/api/shipments/${shipment.orderId}`, adminToken);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Shipment).id).toBe(shipment.id);
  });

  it('answers another customer with a 404, as if there were no shipment', async () => {
    const shipment = await scheduled();
    const other = await tokenFor(['customer']);
    await expectProblem(await call('GET', `/api/shipments/${shipment.orderId}`, other), 404);
    await expectProblem(await call('GET', `/api/shipments/${randomUUID()}`, other), 404);
  });

  it('answers 401 without a token, with an expired one and with a forged one', async () => {
    const shipment = await scheduled();
    const path = `/api/shipments/${shipment.orderId}`;
    await expectProblem(await call('GET', path), 401);
    await expectProblem(await call('GET', path, expiredToken), 401);
    await expectProblem(await call('GET', path, forgedToken), 401);
  });

  it('answers a non-uuid order id with a 400 naming the parameter', async () => {
    const body = await expectProblem(
      await call('GET', '/api/shipments/not-a-uuid', adminToken),
      400,
    );
    expect(body.errors?.map((error) => error.path)).toContain('param.orderId');
  });
});

describe('POST /api/shipments/{orderId}/ship', () => {
  it('answers 401 without a token, with an expired one and with a forged one, and ships nothing', async () => {
    const shipment = await scheduled();
    const path = `/api/shipments/${shipment.orderId}/ship`;
    await expectProblem(await call('POST', path), 401);
    await expectProblem(await call('POST', path, expiredToken), 401);
    await expectProblem(await call('POST', path, forgedToken), 401);
    expect((await shipping.api.getShipmentByOrder(shipment.orderId))?.status).toBe('scheduled');
    expect(await shippedEvents(shipment.orderId)).toHaveLength(0);
  });

  it('answers a customer, even the owner, with a 403 and ships nothing', async () => {
    const userId = randomUUID();
    const shipment = await scheduled(userId);
    const owner = await tokenFor(['customer'], userId);
    await expectProblem(await call('POST', `/api/shipments/${shipment.orderId}/ship`, owner), 403);
    expect((await shipping.api.getShipmentByOrder(shipment.orderId))?.status).toBe('scheduled');
  });

  it('lets an admin mark it shipped (200), publishes shipment.shipped once, and repeats harmlessly', async () => {
    const shipment = await scheduled();
    const path = `/api/shipments/${shipment.orderId}/ship`;

    const response = await call('POST', path, adminToken);
    expect(response.status).toBe(200);
    const shipped = (await response.json()) as Shipment;
    expect(shipped).toMatchObject({ id: shipment.id, status: 'shipped' });
    expect(shipped.shippedAt).not.toBeNull();

    const again = await call('POST', path, adminToken);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(shipped);

    const events = await shippedEvents(shipment.orderId);
    expect(events.map((event) => event.payload)).toEqual([
      {
        shipmentId: shipment.id,
        orderId: shipment.orderId,
        userId: shipment.userId,
        carrier: 'PostNL',
        trackingNumber: shipment.trackingNumber,
      },
    ]);
  });

  it('answers 409 for a cancelled shipment and 404 for an order without one', async () => {
    const shipment = await scheduled();
    await shipping.api.cancel(shipment.orderId, 'order cancelled');
    await expectProblem(
      await call('POST', `/api/shipments/${shipment.orderId}/ship`, adminToken),
      409,
    );
    await expectProblem(await call('POST', `/api/shipments/${randomUUID()}/ship`, adminToken), 404);
  });

  it('answers a non-uuid order id with a 400', async () => {
    await expectProblem(await call('POST', '/api/shipments/42/ship', adminToken), 400);
  });
});
