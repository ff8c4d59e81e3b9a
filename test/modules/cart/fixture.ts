import { expect } from 'vitest';
import { cartProductsFromCatalog } from '../../../src/adapters/cart/cart-products.ts';
import type { Cart } from '../../../src/modules/cart/contracts.ts';
import { type CartApi, createCartModule } from '../../../src/modules/cart/index.ts';
import { createCatalogModule, type Product } from '../../../src/modules/catalog/index.ts';
import { type ModuleHarness, openModuleHarness } from '../../support/module-harness.ts';
import { type FakeOrderPlacement, fakeOrderPlacement } from './fake-order-placement.ts';

/**
 * For the cart's tests: the real catalog (through the in-process adapter the monolith uses),
 * the cart, and a fake OrderPlacement, on a fresh database.
 */
export interface CartFixture {
  harness: ModuleHarness;
  orders: FakeOrderPlacement;
  cartApi: CartApi;
  send(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  createProduct(
    name: string,
    amountMinor: number,
    options?: { currency?: string; active?: boolean },
  ): Promise<Product>;
  changeProduct(id: string, patch: Record<string, unknown>): Promise<void>;
  archiveProduct(id: string): Promise<void>;
  getCart(token: string): Promise<Cart>;
  /** A token for a new customer, with the user id it names. */
  customer(): Promise<{ token: string; userId: string }>;
  expiredToken(userId: string): Promise<string>;
  forgedToken(userId: string): Promise<string>;
}

let skuCounter = 0;

export async function openCartFixture(label: string): Promise<CartFixture> {
  const harness = await openModuleHarness(label);
  const catalog = createCatalogModule(harness.context);
  const products = cartProductsFromCatalog(catalog.api);
  const orders = fakeOrderPlacement(products);
  const cart = createCartModule(harness.context, { products, orders });
  harness.mount(catalog);
  harness.mount(cart);
  const adminToken = await harness.tokenFor(['admin']);

  const send: CartFixture['send'] = (method, path, token, body, headers) =>
    harness.send(method, path, { token, body, headers });

  return {
    harness,
    orders,
    cartApi: cart.api,
    send,
    async createProduct(name, amountMinor, { currency = 'EUR', active = true } = {}) {
      skuCounter += 1;
      const response = await send('POST', '/api/products', adminToken, {
        sku: `CART-${skuCounter}`,
        name,
        price: { amountMinor, currency },
        active,
        initialStock: 100,
      });
      expect(response.status).toBe(201);
      return (await response.json()) as Product;
    },
    async changeProduct(id, patch) {
      const response = await send('PATCH', `/api/products/${id}`, adminToken, patch);
      expect(response.status).toBe(200);
    },
    async archiveProduct(id) {
      expect((await send('DELETE', `/api/products/${id}`, adminToken)).status).toBe(204);
    },
    async getCart(token) {
      const response = await send('GET', '/api/cart', token);
      expect(response.status).toBe(200);
      return (await response.json()) as Cart;
    },
    async customer() {
      const userId = crypto.randomUUID();
      return { token: await harness.tokenFor(['customer'], userId), userId };
    },
    expiredToken: (userId) => harness.expiredTokenFor(['customer'], userId),
    forgedToken: (userId) => harness.forgedTokenFor(['customer'], userId),
  };
}
