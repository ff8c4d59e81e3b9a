import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { inProcessInventory } from '../../../src/adapters/orders/inventory.ts';
import { inProcessProductPricing } from '../../../src/adapters/orders/product-pricing.ts';
import { createCatalogModule, type Product } from '../../../src/modules/catalog/index.ts';
import type { Address, Order, SagaStepName } from '../../../src/modules/orders/contracts.ts';
import {
  createOrdersModule,
  type OrdersApi,
  type OrdersOptions,
} from '../../../src/modules/orders/index.ts';
import type { OrdersPorts } from '../../../src/modules/orders/ports.ts';
import { sagaSteps } from '../../../src/modules/orders/schema.ts';
import { loadMonolithConfig } from '../../../src/monolith-config.ts';
import type { AppEnv } from '../../../src/platform/http/app-env.ts';
import type { Module } from '../../../src/platform/module.ts';
import { type ModuleHarness, openModuleHarness } from '../../support/module-harness.ts';
import { type OutboxRow, outboxEvents } from '../../support/outbox.ts';
import {
  type FakePaymentGateway,
  type FakeShippingScheduler,
  fakePaymentGateway,
  fakeShippingScheduler,
} from './fake-ports.ts';

/**
 * For the orders module's tests: the real catalog behind the in-process Inventory and
 * ProductPricing adapters the monolith uses, fake payment and shipping ports, on a fresh
 * PostgreSQL database.
 */
export interface OrdersFixture {
  harness: ModuleHarness;
  payments: FakePaymentGateway;
  shipping: FakeShippingScheduler;
  ports: OrdersPorts;
  /** The module mounted on `harness.app`. */
  orders: Module<OrdersApi>;
  /**
   * Another instance on the same database: another process, say, or the same one restarted.
   * `ports` replaces some of the fixture's (the real payments module behind PaymentGateway).
   */
  newInstance(
    options?: OrdersOptions & { crashAfter?: SagaStepName; ports?: Partial<OrdersPorts> },
  ): Module<OrdersApi>;
  /** An app serving just `module`'s routes, built like the monolith's. */
  appFor(module: Module): OpenAPIHono<AppEnv>;
  send(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** POST /api/orders with a fresh Idempotency-Key unless one is given. */
  place(token: string, body: unknown, key?: string): Promise<Response>;
  product(
    stock: number,
    options?: { amountMinor?: number; currency?: string; active?: boolean },
  ): Promise<Product>;
  stock(productId: string): Promise<{ onHand: number; reserved: number; available: number }>;
  customer(): Promise<{ token: string; userId: string }>;
  admin(): Promise<{ token: string; userId: string }>;
  expiredToken(userId: string): Promise<string>;
  forgedToken(userId: string): Promise<string>;
  /** The outbox's events of this name about one order. */
  events(name: string, orderId: string): Promise<OutboxRow[]>;
  stepLog(orderId: string): Promise<Record<string, string>>;
}

export const address = (country = 'DE'): Address => ({
  name: 'Erika Mustermann',
  line1: 'Heidestraße 17',
  postalCode: '51147',
  city: 'Köln',
  country,
});

let skuCounter = 0;

export async function openOrdersFixture(label: string): Promise<OrdersFixture> {
  const harness = await openModuleHarness(label);
  const catalog = createCatalogModule(harness.context);
  const payments = fakePaymentGateway();
  const shipping = fakeShippingScheduler();
  const ports: OrdersPorts = {
    pricing: inProcessProductPricing(catalog.api),
    inventory: inProcessInventory(catalog.api),
    payments,
    shipping,
  };
  // Duplicates wait up to 10 s for the first answer: generous for a loaded CI machine.
  const orders = createOrdersModule(harness.context, ports, { replayWaitMs: 10_000 });
  harness.mount(catalog);
  harness.mount(orders);
  const adminToken = await harness.tokenFor(['admin']);

  const send: OrdersFixture['send'] = (method, path, token, body, headers) =>
    harness.send(method, path, { token, body, headers });

  return {
    harness,
    payments,
    shipping,
    ports,
    orders,
    newInstance({ crashAfter, ports: replaced, ...options } = {}) {
      const instanceConfig = loadMonolithConfig(crashAfter ? { SAGA_CRASH_AFTER: crashAfter } : {});
      const instancePorts = { ...ports, ...replaced };
      return createOrdersModule({ ...harness.context, config: instanceConfig }, instancePorts, {
        recoveryIntervalMs: 0,
        ...options,
      });
    },
    appFor: harness.appFor,
    send,
    place: (token, body, key = randomUUID()) =>
      send('POST', '/api/orders', token, body, { 'idempotency-key': key }),
    async product(stock, { amountMinor = 1000, currency = 'EUR', active = true } = {}) {
      skuCounter += 1;
      const response = await send('POST', '/api/products', adminToken, {
        sku: `ORD-${skuCounter}`,
        name: `Order test product ${skuCounter}`,
        price: { amountMinor, currency },
        active,
        initialStock: stock,
      });
      expect(response.status).toBe(201);
      return (await response.json()) as Product;
    },
    async stock(productId) {
      const response = await send('GET', `/api/products/${productId}/stock`, undefined);
      expect(response.status).toBe(200);
      return (await response.json()) as { onHand: number; reserved: number; available: number };
    },
    async customer() {
      const userId = randomUUID();
      return { token: await harness.tokenFor(['customer'], userId), userId };
    },
    async admin() {
      const userId = randomUUID();
      return { token: await harness.tokenFor(['customer', 'admin'], userId), userId };
    },
    expiredToken: (userId) => harness.expiredTokenFor(['customer'], userId),
    forgedToken: (userId) => harness.forgedTokenFor(['customer'], userId),
    events: (name, orderId) => outboxEvents(harness.db, name, orderId),
    async stepLog(orderId) {
      const rows = await harness.db.select().from(sagaSteps).where(eq(sagaSteps.orderId, orderId));
      return Object.fromEntries(rows.map((row) => [row.step, row.status]));
    },
  };
}

export async function orderOf(response: Response, status = 201): Promise<Order> {
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body as Order;
}
