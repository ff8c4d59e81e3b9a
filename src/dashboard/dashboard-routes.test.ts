import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../test/support/module-harness.ts';
import { type CatalogApi, createCatalogModule } from '../modules/catalog/index.ts';
import type { Module } from '../platform/module.ts';
import { type Dashboard, type DashboardSource, dashboardRoutes } from './dashboard-routes.ts';

let harness: ModuleHarness;
let catalog: Module<CatalogApi>;
let adminToken: string;
let aborted = false;

const TIMEOUT_MS = 150;

beforeAll(async () => {
  harness = await openModuleHarness('dashboard', {
    DASHBOARD_SOURCE_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  catalog = createCatalogModule(harness.context);
  harness.mount(catalog);
  adminToken = await harness.tokenFor(['admin']);

  const sources: DashboardSource[] = [
    { name: 'catalog', load: () => catalog.api.stats() },
    {
      name: 'payments',
      load: async () => {
        throw new Error('payments database unreachable');
      },
    },
    {
      name: 'users',
      load: () => {
        throw new Error('thrown before any promise');
      },
    },
    // Hangs until told its time is up, like a query stuck on a lock.
    {
      name: 'orders',
      load: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    },
  ];
  harness.app.route(
    '/api',
    dashboardRoutes(sources, harness.context.config.DASHBOARD_SOURCE_TIMEOUT_MS),
  );
});
afterAll(async () => {
  await harness.cleanup();
});

const send = (method: string, path: string, body?: unknown, token = adminToken) =>
  harness.send(method, path, { token, body });

async function createProduct(sku: string, initialStock: number): Promise<string> {
  const response = await send('POST', '/api/products', {
    sku,
    name: sku,
    price: { amountMinor: 1000, currency: 'EUR' },
    initialStock,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe('GET /api/admin/dashboard', () => {
  beforeAll(async () => {
    await createProduct('PLENTY', 50);
    await createProduct('FEW', 4);
    const reservedDown = await createProduct('RESERVED-DOWN', 6);
    const archived = await createProduct('ARCHIVED', 0);
    // 6 on hand, 2 reserved: 4 available, so running low.
    await catalog.api.reserveStock({
      orderId: randomUUID(),
      items: [{ productId: reservedDown, quantity: 2 }],
    });
    expect((await send('DELETE', `/api/products/${archived}`)).status).toBe(204);
  });

  it('answers 200 with the sources that made it and lists the others, never a 500', async () => {
    const started = Date.now();
    const response = await send('GET', '/api/admin/dashboard');
    const elapsed = Date.now() - started;

    expect(response.status).toBe(200);
    const dashboard = (await response.json()) as Dashboard;
    expect(Date.parse(dashboard.generatedAt)).not.toBeNaN();
    // Live products only (the archived one is out); two of them have fewer than 5 available.
    expect(dashboard.data).toEqual({ catalog: { products: 3, lowStock: 2 } });
    expect(dashboard.unavailable).toEqual(
      expect.arrayContaining([
        { source: 'payments', reason: 'payments database unreachable' },
        { source: 'users', reason: 'thrown before any promise' },
        { source: 'orders', reason: 'timeout' },
      ]),
    );
    expect(dashboard.unavailable).toHaveLength(3);
    // The hanging source cost one timeout, not more: sources run side by side.
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(aborted).toBe(true);
  });

  it('answers 401 without a token or with an expired one, 403 to a customer', async () => {
    const anonymous = await harness.app.request('/api/admin/dashboard');
    expect(anonymous.status).toBe(401);

    const expired = await harness.expiredTokenFor(['admin']);
    expect((await send('GET', '/api/admin/dashboard', undefined, expired)).status).toBe(401);

    const customer = await harness.tokenFor(['customer']);
    const forbidden = await send('GET', '/api/admin/dashboard', undefined, customer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('dashboardRoutes', () => {
  it('refuses two sources with the same name', () => {
    const source = { name: 'orders', load: async () => ({}) };
    expect(() => dashboardRoutes([source, source], 100)).toThrow('orders');
  });
});
