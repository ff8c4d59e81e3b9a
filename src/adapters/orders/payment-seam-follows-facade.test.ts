import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../../test/extracted/payments-service/providers.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import { type FacadeToggles, serveFacadeToggles } from '../../../test/support/facade-toggles.ts';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import type { Order } from '../../modules/orders/index.ts';
import { createPaymentsModule, type PaymentsApi } from '../../modules/payments/index.ts';
import { serviceCallHeaders } from '../../platform/auth/service-caller.ts';
import { createServiceClient, type ServiceClient } from '../../platform/http/service-client.ts';
import { createUpstreamPolicy } from '../../platform/resilience/upstream-policy.ts';
import { sideFor } from '../../platform/routing/canary.ts';
import {
  type RemoteToggleSource,
  remoteToggleSource,
} from '../../platform/seams/remote-toggle-source.ts';
import { createSeam, type Seam } from '../../platform/seams/seam.ts';
import {
  httpPaymentGateway,
  inProcessPaymentGateway,
  type PaymentGatewayAdapter,
  paymentCaptureRoute,
  paymentGatewayAdapters,
  switchablePaymentGateway,
} from './payment-gateway.ts';

// The monolith's payment seam following the facade's toggle of payments.write.capture: the
// facade's toggle store on its own database, served on a real port; payments-service on its
// own; the real orders and legacy payments modules on the monolith's. Which adapter served an
// order is read from where its payment landed.

const CACHE_MS = 150;
const { routeId } = paymentCaptureRoute;

let f: OrdersFixture;
let service: PaymentsServiceHarness;
let facade: FacadeToggles;
let legacy: PaymentsApi;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  f = await openOrdersFixture('seam_follows_facade');
  service = await startPaymentsServiceOnPostgres('seam_follows_facade_service', {
    provider: createTestProvider({ latencyMs: 0 }).provider,
  });
  facade = await serveFacadeToggles('seam_follows_facade');
  legacy = createPaymentsModule(f.harness.context).api;
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await facade.stop();
  await service.stop();
  await f.harness.cleanup();
});

/** A monolith replica's seam and checkout, reading the facade at `url` (the facade's own by default). */
function monolithFollowing(url = facade.url, options: { timeoutMs?: number } = {}) {
  const source: RemoteToggleSource<PaymentGatewayAdapter> = remoteToggleSource({
    ...paymentCaptureRoute,
    url,
    seam: 'payment-gateway',
    initial: 'in-process',
    serviceTokens: facade.caller.tokens,
    cacheMs: CACHE_MS,
    ...options,
  });
  const client: ServiceClient = createServiceClient({
    baseUrl: service.service.url,
    timeoutMs: 2_000,
    headers: () => serviceCallHeaders(service.caller.tokens, 'payments-service'),
  });
  closers.push(
    () => source.close(),
    () => client.close(),
  );
  // Each replica keeps its pins apart, so the tests do not see each other's orders.
  const seam: Seam<PaymentGatewayAdapter> = createSeam({
    db: f.harness.db,
    name: `payment-gateway-${randomUUID()}`,
    adapters: paymentGatewayAdapters,
    source,
  });
  const gateway = switchablePaymentGateway(seam, {
    'in-process': inProcessPaymentGateway(legacy),
    http: httpPaymentGateway({
      client,
      policy: createUpstreamPolicy({ name: 'payments-service' }),
    }),
  });
  const orders = f.newInstance({ ports: { payments: gateway } });
  return {
    seam,
    source,
    gateway,
    async place(): Promise<Order> {
      const product = await f.product(5, { amountMinor: 1_900 });
      const { order } = await orders.api.placeOrder(
        {
          userId: randomUUID(),
          items: [{ productId: product.id, quantity: 1 }],
          shippingAddress: address(),
        },
        randomUUID(),
      );
      expect(order.status).toBe('confirmed');
      return order;
    },
  };
}

/** Where the order's payment landed: the legacy payments table or payments-service's database. */
async function capturedIn(order: Order): Promise<'in-process' | 'http'> {
  const inLegacy = await legacy.getPaymentByOrder(order.id);
  const inService = await service.rowsFor(order.id);
  // Exactly one side holds it, captured, and it is the order's payment.
  expect([inLegacy ? 1 : 0, inService.length].sort()).toEqual([0, 1]);
  expect(inLegacy?.status ?? inService[0]?.status).toBe('captured');
  expect(order.paymentId).toBe(inLegacy?.id ?? inService[0]?.id);
  return inLegacy ? 'in-process' : 'http';
}

/** Past the seam's cache: the next read asks the facade. */
const pastCache = () => sleep(CACHE_MS + 50);

describe("the monolith's payment seam following the facade's payments.write.capture", () => {
  it('captures in-process while the route is in monolith or shadow, and in payments-service once extracted', async () => {
    const monolith = monolithFollowing();
    await facade.move(routeId, 'monolith');
    expect(await capturedIn(await monolith.place())).toBe('in-process');

    await facade.move(routeId, 'shadow');
    await pastCache();
    expect(await capturedIn(await monolith.place())).toBe('in-process');

    await facade.move(routeId, 'extracted');
    await pastCache();
    expect(await capturedIn(await monolith.place())).toBe('http');
    expect(await monolith.seam.state()).toMatchObject({
      adapter: 'http',
      split: null,
      version: facade.store.current().version,
      follows: { facade: facade.url, routeId, mode: 'extracted' },
    });

    await facade.move(routeId, 'retired');
    await pastCache();
    expect(await capturedIn(await monolith.place())).toBe('http');
  });

  it('splits orders in canary by the facade’s bucket of each order id', async () => {
    const monolith = monolithFollowing();
    await facade.move(routeId, 'canary', 50);
    await pastCache();
    const placed: Order[] = [];
    for (let i = 0; i < 24; i++) placed.push(await monolith.place());
    const sides = { 'in-process': 0, http: 0 };
    for (const order of placed) {
      const expected =
        sideFor({ routeId, percentage: 50, stickyKey: `order:${order.id}` }) === 'new'
          ? 'http'
          : 'in-process';
      const side = await capturedIn(order);
      expect(side).toBe(expected);
      sides[side] += 1;
    }
    expect(sides['in-process']).toBeGreaterThan(0);
    expect(sides.http).toBeGreaterThan(0);
    expect(await monolith.seam.state()).toMatchObject({
      adapter: 'in-process',
      split: { adapter: 'http', percentage: 50 },
    });
  });

  it('sends about half of 10,000 orders to payments-service at 50%, the same way every time', async () => {
    const monolith = monolithFollowing();
    await facade.move(routeId, 'canary', 50);
    await pastCache();
    const keys = Array.from(
      { length: 10_000 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const placement = await monolith.source.read();
    const first = keys.map((key) => placement.adapterFor(key));
    const onService = first.filter((adapter) => adapter === 'http').length;
    expect(Math.abs(onService - 5_000)).toBeLessThan(200);
    expect((await monolith.source.read({ fresh: true })).adapterFor(keys[7] ?? '')).toBe(first[7]);
    expect(keys.map((key) => placement.adapterFor(key))).toEqual(first);
  });

  it('keeps an order on the adapter it started on after the route moves', async () => {
    const monolith = monolithFollowing();
    await facade.move(routeId, 'monolith');
    await pastCache();
    const before = await monolith.place();
    expect(await capturedIn(before)).toBe('in-process');

    await facade.move(routeId, 'extracted');
    await pastCache();
    expect(await monolith.seam.pin(before.id)).toBe('in-process');
    // Its refund, long after, meets the store that holds its payment.
    await monolith.gateway.refund({ orderId: before.id, reason: 'customer cancelled' }, {});
    expect((await legacy.getPaymentByOrder(before.id))?.status).toBe('refunded');
    expect(await service.rowsFor(before.id)).toEqual([]);
    expect(await capturedIn(await monolith.place())).toBe('http');
  });

  it('keeps the last known adapter while the facade is away, and follows it again once back', async () => {
    const { port } = new URL(facade.url);
    const proxy: FaultProxy = await startFaultProxy({ host: '127.0.0.1', port: Number(port) });
    closers.push(() => proxy.close());
    const monolith = monolithFollowing(proxy.via(facade.url), { timeoutMs: 300 });
    await facade.move(routeId, 'extracted');
    expect(await capturedIn(await monolith.place())).toBe('http');

    // Refused connections, then a partition that answers nothing: the checkout goes on.
    await proxy.cut();
    await pastCache();
    expect(await capturedIn(await monolith.place())).toBe('http');
    await proxy.restore();
    proxy.blackhole();
    await pastCache();
    expect(await monolith.seam.current(randomUUID())).toBe('http');
    expect(await capturedIn(await monolith.place())).toBe('http');
    expect((await monolith.seam.state()).follows).toMatchObject({ mode: 'extracted' });

    // A move made meanwhile reaches the seam once the facade answers again.
    await facade.move(routeId, 'monolith');
    await proxy.restore();
    await proxy.reset();
    await pastCache();
    expect(await capturedIn(await monolith.place())).toBe('in-process');
  });

  it('uses its initial adapter while the facade never answered', async () => {
    const { port } = new URL(facade.url);
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(port) });
    closers.push(() => proxy.close());
    await proxy.cut();
    await facade.move(routeId, 'extracted');
    const monolith = monolithFollowing(proxy.via(facade.url));
    expect(await capturedIn(await monolith.place())).toBe('in-process');
    expect(await monolith.seam.state()).toMatchObject({
      adapter: 'in-process',
      version: 0,
      follows: { routeId, mode: null, heardAt: null },
    });
  });

  it('cannot be moved here: it is moved at the facade', async () => {
    const monolith = monolithFollowing();
    await expect(monolith.seam.set({ adapter: 'http', reason: 'try' })).rejects.toThrow(
      /PUT \/_facade\/api\/routes\/payments\.write\.capture/,
    );
  });
});
