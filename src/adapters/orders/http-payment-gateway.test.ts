import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../../test/extracted/payments-service/providers.ts';
import { REFUSED_COUNTRY } from '../../../test/modules/orders/fake-ports.ts';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import { createPaymentsModule } from '../../modules/payments/index.ts';
import { serviceCallHeaders } from '../../platform/auth/service-caller.ts';
import { createServiceClient, type ServiceClient } from '../../platform/http/service-client.ts';
import { createUpstreamPolicy } from '../../platform/resilience/upstream-policy.ts';
import { createSeam } from '../../platform/seams/seam.ts';
import {
  httpPaymentGateway,
  inProcessPaymentGateway,
  paymentGatewayAdapters,
  switchablePaymentGateway,
} from './payment-gateway.ts';

// The checkout saga capturing through payments-service over HTTP: a real service on its own
// PostgreSQL database, the real orders module on the monolith's, the HTTP adapter between.

let f: OrdersFixture;
let service: PaymentsServiceHarness;
let provider: ReturnType<typeof createTestProvider>;
const clients: ServiceClient[] = [];

beforeAll(async () => {
  f = await openOrdersFixture('http_payment_gateway');
  provider = createTestProvider({ latencyMs: 0 });
  service = await startPaymentsServiceOnPostgres('http_gateway_service', {
    provider: provider.provider,
  });
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await service.stop();
  await f.harness.cleanup();
});

/** The monolith's adapter to a payments-service, calling with the harness caller's tokens. */
function gatewayTo(target: PaymentsServiceHarness, timeoutMs = 2_000, url = target.service.url) {
  const client = createServiceClient({
    baseUrl: url,
    timeoutMs,
    headers: () => serviceCallHeaders(target.caller.tokens, 'payments-service'),
  });
  clients.push(client);
  return httpPaymentGateway({
    client,
    policy: createUpstreamPolicy({ name: 'payments-service', halfOpenAfterMs: 200 }),
  });
}

const placement = (productId: string, cardToken?: string) => ({
  userId: randomUUID(),
  items: [{ productId, quantity: 1 }],
  shippingAddress: address(),
  ...(cardToken && { cardToken }),
});

describe('the checkout saga over the HTTP payment gateway', () => {
  it("confirms the order with its payment captured in payments-service's database", async () => {
    const product = await f.product(5, { amountMinor: 2_400 });
    const orders = f.newInstance({ ports: { payments: gatewayTo(service) } });
    const { order } = await orders.api.placeOrder(placement(product.id), randomUUID());

    expect(order).toMatchObject({ status: 'confirmed' });
    const rows = await service.rowsFor(order.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'captured', amountMinor: 2_400, currency: 'EUR' });
    expect(order.paymentId).toBe(rows[0]?.id);
    expect(await service.eventsFor(order.id)).toEqual(['payment.captured']);
  });

  it('cancels a declined order with the decline as its reason, nothing held', async () => {
    const product = await f.product(5, { amountMinor: 2_500 });
    const orders = f.newInstance({ ports: { payments: gatewayTo(service) } });
    const { order } = await orders.api.placeOrder(
      placement(product.id, 'tok_decline'),
      randomUUID(),
    );

    expect(order.status).toBe('cancelled');
    expect(order.cancelReason).toMatch(/^payment declined: /);
    expect((await service.rowsFor(order.id)).map((row) => row.status)).toEqual(['declined']);
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('asks for the payment when the answer never came, and charges once', async () => {
    const product = await f.product(5, { amountMinor: 2_600 });
    // The service answers after the adapter gave up: the capture was carried out all the same.
    const slowProvider = createTestProvider({ latencyMs: 700 });
    const slow = await startPaymentsServiceOnPostgres('http_gateway_slow', {
      provider: slowProvider.provider,
    });
    try {
      const orders = f.newInstance({ ports: { payments: gatewayTo(slow, 300) } });
      const { order } = await orders.api.placeOrder(placement(product.id), randomUUID());

      expect(order).toMatchObject({ status: 'confirmed' });
      expect((await slow.rowsFor(order.id)).map((row) => row.status)).toEqual(['captured']);
      // Asked again under the same reference, the provider charged once; nothing went back.
      expect(new Set(slowProvider.charges)).toEqual(new Set([order.id]));
      expect(slowProvider.moneyTaken()).toHaveLength(1);
      expect(slowProvider.refunds).toEqual([]);
    } finally {
      await slow.stop();
    }
  });

  it('waits out a capture still running on the service rather than cancelling the order', async () => {
    const product = await f.product(5, { amountMinor: 2_650 });
    // The saga's second try meets the first still at the provider: 409 idempotency-key-in-use
    // at once (no wait on the service's side). That is not an answer about the payment.
    const slowProvider = createTestProvider({ latencyMs: 900 });
    const slow = await startPaymentsServiceOnPostgres(
      'http_gateway_in_use',
      { provider: slowProvider.provider },
      { PAYMENTS_SERVICE_IDEMPOTENCY_WAIT_MS: '0' },
    );
    try {
      const orders = f.newInstance({ ports: { payments: gatewayTo(slow, 300) } });
      const { order } = await orders.api.placeOrder(placement(product.id), randomUUID());

      expect(order).toMatchObject({ status: 'confirmed' });
      expect((await slow.rowsFor(order.id)).map((row) => row.status)).toEqual(['captured']);
      expect(slowProvider.moneyTaken()).toHaveLength(1);
      expect(slowProvider.refunds).toEqual([]);
    } finally {
      await slow.stop();
    }
  });

  it('rides out payments-service being down: the saga retries, no order refused for it', async () => {
    const product = await f.product(5, { amountMinor: 2_700 });
    // Nothing listens here yet: every call is refused until the service comes up on it.
    const down = await startPaymentsServiceOnPostgres('http_gateway_down', {
      provider: provider.provider,
    });
    const url = down.service.url;
    await down.stop();
    const orders = f.newInstance({
      ports: { payments: gatewayTo(down, 2_000, url) },
      sagaOutageRetryMs: 20_000,
    });
    const placing = orders.api.placeOrder(placement(product.id), randomUUID());
    await new Promise((resolve) => setTimeout(resolve, 600));
    const { port } = new URL(url);
    const back = await startPaymentsServiceOnPostgres(
      'http_gateway_back',
      { provider: provider.provider },
      { PAYMENTS_SERVICE_PORT: port },
      down.caller,
    );
    try {
      const { order } = await placing;
      expect(order).toMatchObject({ status: 'confirmed' });
      expect((await back.rowsFor(order.id)).map((row) => row.status)).toEqual(['captured']);
    } finally {
      await back.stop();
    }
  });

  it('refunds through payments-service when a later step fails', async () => {
    const product = await f.product(5, { amountMinor: 2_800 });
    const orders = f.newInstance({ ports: { payments: gatewayTo(service) } });
    const { order } = await orders.api.placeOrder(
      { ...placement(product.id), shippingAddress: address(REFUSED_COUNTRY) },
      randomUUID(),
    );

    expect(order.status).toBe('cancelled');
    const [row] = await service.rowsFor(order.id);
    expect(row?.status).toBe('refunded');
    expect(provider.refunds.filter((reference) => reference === row?.providerRef)).toHaveLength(1);
  });
});

describe('the payment-gateway seam switched during a stream of checkouts', () => {
  it('keeps every order on one side: captured once, found where it was captured', async () => {
    const product = await f.product(1_000, { amountMinor: 1_100 });
    const legacy = createPaymentsModule(f.harness.context);
    const seam = createSeam({
      db: f.harness.db,
      name: `payment-gateway-${randomUUID()}`,
      adapters: paymentGatewayAdapters,
      initial: 'in-process',
      cacheMs: 0,
    });
    const orders = f.newInstance({
      ports: {
        payments: switchablePaymentGateway(seam, {
          'in-process': inProcessPaymentGateway(legacy.api),
          http: gatewayTo(service),
        }),
      },
    });
    let flips = 0;
    let placing = true;
    const flipping = (async () => {
      while (placing && flips < 50) {
        await seam.set({ adapter: flips % 2 ? 'in-process' : 'http', reason: `flip ${flips}` });
        flips += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const placed = [];
    for (let i = 0; i < 40; i++) {
      placed.push(
        orders.api.placeOrder(placement(product.id), randomUUID()).then((result) => result.order),
      );
      if (i % 4 === 3) await Promise.all(placed.slice(-4));
    }
    const all = await Promise.all(placed);
    placing = false;
    await flipping;

    expect(flips).toBeGreaterThan(10);
    const sides = { legacy: 0, service: 0 };
    for (const order of all) {
      expect(order.status).toBe('confirmed');
      const inLegacy = await legacy.api.getPaymentByOrder(order.id);
      const inService = await service.rowsFor(order.id);
      // Exactly one side holds the order's payment, captured, and it is the order's.
      expect([inLegacy ? 1 : 0, inService.length].sort()).toEqual([0, 1]);
      const paymentId = inLegacy?.id ?? inService[0]?.id;
      expect(order.paymentId).toBe(paymentId);
      expect(inLegacy?.status ?? inService[0]?.status).toBe('captured');
      sides.legacy += inLegacy ? 1 : 0;
      sides.service += inService.length;
    }
    // The stream really crossed the seam both ways.
    expect(sides.legacy).toBeGreaterThan(0);
    expect(sides.service).toBeGreaterThan(0);
  });
});
