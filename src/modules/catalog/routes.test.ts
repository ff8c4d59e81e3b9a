import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { errorPaths, expectProblem } from '../../../test/support/problem.ts';
import type { Database } from '../../platform/db/database.ts';
import type { AppEnv } from '../../platform/http/app-env.ts';
import type { Module } from '../../platform/module.ts';
import type { Product } from './contracts.ts';
import { type CatalogApi, createCatalogModule } from './index.ts';
import { products } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let app: OpenAPIHono<AppEnv>;
let catalog: Module<CatalogApi>;
let harness: ModuleHarness;
let adminToken: string;
let customerToken: string;

beforeAll(async () => {
  harness = await openModuleHarness('catalog-routes');
  ({ db, cleanup, app } = harness);
  catalog = createCatalogModule(harness.context);
  harness.mount(catalog);
  adminToken = await harness.tokenFor(['admin']);
  customerToken = await harness.tokenFor(['customer']);
});
afterAll(async () => {
  await cleanup();
});

/** As the admin. */
const send = (method: string, path: string, body?: unknown) =>
  harness.send(method, path, { token: adminToken, body });
const get = (path: string) => app.request(path);

async function create(input: Record<string, unknown>): Promise<Product> {
  const response = await send('POST', '/api/products', input);
  expect(response.status).toBe(201);
  return (await response.json()) as Product;
}

interface Page {
  items: Product[];
  page: number;
  pageSize: number;
  total: number;
}
const list = async (query: string): Promise<Page> => {
  const response = await get(`/api/products?${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
};
const names = (page: Page) => page.items.map((product) => product.name);

describe('listing', () => {
  const created: Product[] = [];
  beforeAll(async () => {
    const inputs = [
      { sku: 'KTL-ALPHA', name: 'Alpha Kettle', description: 'Gooseneck kettle', amount: 2500 },
      { sku: 'MUG-BETA', name: 'beta mug', description: 'A mug for tea', amount: 900 },
      { sku: 'GRN-GAMMA', name: 'Gamma Grinder', description: 'Burr grinder', amount: 12000 },
      { sku: 'BEAN-ARA', name: '100% Arabica Beans', description: 'Roasted beans', amount: 1500 },
      {
        sku: 'FLT_01',
        name: 'Delta Filter',
        description: 'Paper filters',
        amount: 300,
        currency: 'USD',
      },
      {
        sku: 'TRY-EPS',
        name: 'Epsilon Tray',
        description: 'Serving tray',
        amount: 700,
        active: false,
      },
    ];
    for (const { amount, currency = 'EUR', ...rest } of inputs) {
      created.push(await create({ ...rest, price: { amountMinor: amount, currency } }));
    }
  });

  it('pages through products sorted by name, case-insensitively, with a total', async () => {
    const pages = [
      await list('sort=name&pageSize=4&page=1'),
      await list('sort=name&pageSize=4&page=2'),
    ];
    expect(pages.map((page) => page.total)).toEqual([6, 6]);
    expect(pages.map((page) => [page.page, page.pageSize])).toEqual([
      [1, 4],
      [2, 4],
    ]);
    expect([...names(pages[0]!), ...names(pages[1]!)]).toEqual([
      '100% Arabica Beans',
      'Alpha Kettle',
      'beta mug',
      'Delta Filter',
      'Epsilon Tray',
      'Gamma Grinder',
    ]);
    expect(names(await list('sort=-name&pageSize=2'))).toEqual(['Gamma Grinder', 'Epsilon Tray']);
    expect((await list('page=9')).items).toEqual([]);
  });

  it('sorts by price and by creation time, newest first by default', async () => {
    expect((await list('sort=price')).items.map((p) => p.price.amountMinor)).toEqual([
      300, 700, 900, 1500, 2500, 12000,
    ]);
    expect(names(await list('sort=-price&pageSize=1'))).toEqual(['Gamma Grinder']);
    expect(names(await list(''))).toEqual(created.map((p) => p.name).reverse());
    expect(names(await list('sort=createdAt'))).toEqual(created.map((p) => p.name));
  });

  it('searches name, description and sku, treating LIKE wildcards literally', async () => {
    expect(names(await list('q=KETTLE'))).toEqual(['Alpha Kettle']);
    expect(names(await list('q=for%20tea'))).toEqual(['beta mug']);
    expect(names(await list('q=grn-gam'))).toEqual(['Gamma Grinder']);
    expect(names(await list('q=%25'))).toEqual(['100% Arabica Beans']);
    expect(names(await list('q=_'))).toEqual(['Delta Filter']);
    expect((await list('q=nothing-like-this')).total).toBe(0);
  });

  it('filters by price range, currency and active flag', async () => {
    const range = await list('minPrice=900&maxPrice=2500&sort=-price');
    expect(names(range)).toEqual(['Alpha Kettle', '100% Arabica Beans', 'beta mug']);
    expect(range.total).toBe(3);
    expect(names(await list('currency=USD'))).toEqual(['Delta Filter']);
    expect(names(await list('active=false'))).toEqual(['Epsilon Tray']);
    expect(names(await list('currency=EUR&maxPrice=900&sort=price'))).toEqual([
      'Epsilon Tray',
      'beta mug',
    ]);
  });

  it('answers bad queries with 400 and the fields at fault', async () => {
    const cases: [string, string][] = [
      ['pageSize=1000', 'query.pageSize'],
      ['pageSize=0', 'query.pageSize'],
      ['page=abc', 'query.page'],
      ['minPrice=-5', 'query.minPrice'],
      ['maxPrice=1.5', 'query.maxPrice'],
      ['currency=eur', 'query.currency'],
      ['sort=popularity', 'query.sort'],
      ['minPrice=500&maxPrice=100', 'query.minPrice'],
    ];
    for (const [query, path] of cases) {
      const body = await expectProblem(await get(`/api/products?${query}`), 400);
      expect(errorPaths(body), query).toContain(path);
    }
  });
});

describe('one product', () => {
  it('gets a product and its stock', async () => {
    const product = await create({
      sku: 'ONE-1',
      name: 'Single',
      price: { amountMinor: 100, currency: 'EUR' },
      initialStock: 12,
    });
    const response = await get(`/api/products/${product.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(product);
    expect(product).toMatchObject({
      description: '',
      active: true,
      price: { amountMinor: 100, currency: 'EUR' },
    });
    const stock = await get(`/api/products/${product.id}/stock`);
    expect(await stock.json()).toEqual({
      productId: product.id,
      onHand: 12,
      reserved: 0,
      available: 12,
    });
  });

  it('answers an unknown id with a 404 problem and a malformed one with a 400', async () => {
    await expectProblem(await get(`/api/products/${randomUUID()}`), 404);
    await expectProblem(await get(`/api/products/${randomUUID()}/stock`), 404);
    const body = await expectProblem(await get('/api/products/not-a-uuid'), 400);
    expect(errorPaths(body)).toEqual(['param.id']);
    await expectProblem(await get('/api/products/not-a-uuid/stock'), 400);
  });
});

describe('admin routes', () => {
  const valid = { sku: 'ADM-1', name: 'Admin made', price: { amountMinor: 4200, currency: 'EUR' } };

  it('refuse callers without a valid token (401) or without the admin role (403), before validating anything', async () => {
    const id = randomUUID();
    const calls: [string, string, unknown][] = [
      ['POST', '/api/products', valid],
      ['POST', '/api/products', { bogus: true }],
      ['PATCH', `/api/products/${id}`, { name: 'x' }],
      ['DELETE', `/api/products/${id}`, undefined],
      ['PUT', `/api/products/${id}/stock`, { onHand: 1 }],
    ];
    for (const [method, path, body] of calls) {
      const anonymous = await harness.send(method, path, { body });
      await expectProblem(anonymous, 401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      const forged = await harness.send(method, path, { token: 'not-a-real-token', body });
      await expectProblem(forged, 401);
      const customer = await harness.send(method, path, { token: customerToken, body });
      await expectProblem(customer, 403);
    }
    expect((await list('q=ADM-1')).total).toBe(0);
  });

  it('create answers 201 with a Location and publishes product.changed in the same transaction', async () => {
    const requestId = `req-${randomUUID()}`;
    const response = await harness.send('POST', '/api/products', {
      token: adminToken,
      body: { ...valid, initialStock: 3 },
      headers: { 'x-request-id': requestId },
    });
    expect(response.status).toBe(201);
    const product = (await response.json()) as Product;
    expect(response.headers.get('location')).toBe(`/api/products/${product.id}`);
    expect(await (await get(response.headers.get('location')!)).json()).toEqual(product);

    const events = await outboxEvents(db, 'product.changed');
    const mine = events.filter(
      (event) => (event.payload as { productId: string }).productId === product.id,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]?.payload).toEqual({
      productId: product.id,
      sku: 'ADM-1',
      name: 'Admin made',
      price: { amountMinor: 4200, currency: 'EUR' },
      active: true,
      change: 'created',
    });
    expect(mine[0]?.version).toBe(1);
    expect(mine[0]?.metadata.correlationId).toBe(requestId);

    const duplicate = await send('POST', '/api/products', { ...valid, name: 'Another' });
    await expectProblem(duplicate, 409);
  });

  it('rejects invalid bodies with 400 and field paths, including malformed JSON', async () => {
    const cases: [unknown, string][] = [
      [{ ...valid, price: { amountMinor: -1, currency: 'EUR' } }, 'json.price.amountMinor'],
      [{ ...valid, price: { amountMinor: 1.5, currency: 'EUR' } }, 'json.price.amountMinor'],
      [{ ...valid, price: { amountMinor: 100, currency: 'euro' } }, 'json.price.currency'],
      [{ ...valid, sku: '' }, 'json.sku'],
      [{ ...valid, sku: 'has spaces' }, 'json.sku'],
      [{ ...valid, name: undefined }, 'json.name'],
      [{ ...valid, initialStock: -3 }, 'json.initialStock'],
    ];
    for (const [body, path] of cases) {
      const problem = await expectProblem(await send('POST', '/api/products', body), 400);
      expect(errorPaths(problem), path).toContain(path);
    }
    await expectProblem(await send('POST', '/api/products', '{"sku": "broken'), 400);
  });

  it('patches a product, keeps SKUs unique, and publishes an update', async () => {
    const product = await create({
      sku: 'PATCH-1',
      name: 'Before',
      price: { amountMinor: 500, currency: 'EUR' },
    });
    // Moved an hour back, so a patch that forgets to bump it cannot pass for one that does.
    const [stored] = await db
      .update(products)
      .set({ updatedAt: sql`${products.updatedAt} - interval '1 hour'` })
      .where(eq(products.id, product.id))
      .returning({ updatedAt: products.updatedAt });
    const response = await send('PATCH', `/api/products/${product.id}`, {
      name: 'After',
      price: { amountMinor: 650, currency: 'EUR' },
      active: false,
    });
    expect(response.status).toBe(200);
    const patched = (await response.json()) as Product;
    expect(patched).toMatchObject({
      id: product.id,
      sku: 'PATCH-1',
      name: 'After',
      price: { amountMinor: 650, currency: 'EUR' },
      active: false,
      createdAt: product.createdAt,
    });
    expect(Date.parse(patched.updatedAt)).toBeGreaterThan(stored!.updatedAt.getTime());
    expect(await (await get(`/api/products/${product.id}`)).json()).toEqual(patched);

    await expectProblem(await send('PATCH', `/api/products/${product.id}`, { sku: 'ADM-1' }), 409);
    await expectProblem(await send('PATCH', `/api/products/${product.id}`, {}), 400);
    const badPrice = await expectProblem(
      await send('PATCH', `/api/products/${product.id}`, {
        price: { amountMinor: -1, currency: 'EUR' },
      }),
      400,
    );
    expect(errorPaths(badPrice)).toContain('json.price.amountMinor');
    await expectProblem(
      await send('PATCH', `/api/products/${randomUUID()}`, { name: 'Nobody' }),
      404,
    );

    const changes = (await outboxEvents(db, 'product.changed'))
      .map((event) => event.payload as { productId: string; change: string })
      .filter((payload) => payload.productId === product.id)
      .map((payload) => payload.change);
    expect(changes).toEqual(['created', 'updated']);
  });

  it('archives with 204: the product then 404s and leaves lists, but its reservations stay', async () => {
    const product = await create({
      sku: 'DEL-1',
      name: 'Doomed',
      price: { amountMinor: 100, currency: 'EUR' },
      initialStock: 5,
    });
    const orderId = randomUUID();
    await catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 2 }] });

    const response = await send('DELETE', `/api/products/${product.id}`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    await expectProblem(await get(`/api/products/${product.id}`), 404);
    await expectProblem(await get(`/api/products/${product.id}/stock`), 404);
    expect((await list('q=DEL-1')).total).toBe(0);
    await expectProblem(await send('DELETE', `/api/products/${product.id}`), 404);
    await expectProblem(
      await send('PATCH', `/api/products/${product.id}`, { name: 'Zombie' }),
      404,
    );
    expect(await catalog.api.getProduct(product.id)).toBeUndefined();
    // The SKU stays taken: an old event naming it still means this product.
    await expectProblem(await send('POST', '/api/products', { ...valid, sku: 'DEL-1' }), 409);

    expect(await catalog.api.releaseStock(orderId, 'order cancelled')).toMatchObject({
      status: 'released',
      items: [{ productId: product.id, quantity: 2 }],
    });
  });

  it('sets stock on hand, but never below what is reserved', async () => {
    const product = await create({
      sku: 'STK-1',
      name: 'Counted',
      price: { amountMinor: 100, currency: 'EUR' },
    });
    const set = await send('PUT', `/api/products/${product.id}/stock`, { onHand: 7 });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      productId: product.id,
      onHand: 7,
      reserved: 0,
      available: 7,
    });

    await catalog.api.reserveStock({
      orderId: randomUUID(),
      items: [{ productId: product.id, quantity: 5 }],
    });
    await expectProblem(await send('PUT', `/api/products/${product.id}/stock`, { onHand: 4 }), 409);
    const lowered = await send('PUT', `/api/products/${product.id}/stock`, { onHand: 5 });
    expect(await lowered.json()).toEqual({
      productId: product.id,
      onHand: 5,
      reserved: 5,
      available: 0,
    });

    const negative = await expectProblem(
      await send('PUT', `/api/products/${product.id}/stock`, { onHand: -1 }),
      400,
    );
    expect(errorPaths(negative)).toEqual(['json.onHand']);
    await expectProblem(
      await send('PUT', `/api/products/${randomUUID()}/stock`, { onHand: 1 }),
      404,
    );
    await expectProblem(await send('PUT', '/api/products/nope/stock', { onHand: 1 }), 400);
  });
});

describe('OpenAPI', () => {
  it('documents the routes from the zod schemas, with named components and admin security', () => {
    const document = catalog.routes!.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'catalog', version: '1' },
    });
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Product', 'ProductPage', 'Money', 'StockLevel', 'CreateProduct']),
    );
    expect(document.paths?.['/products']?.post?.security).toEqual([{ bearer: [] }]);
    expect(document.paths?.['/products']?.get?.security).toBeUndefined();
  });
});
