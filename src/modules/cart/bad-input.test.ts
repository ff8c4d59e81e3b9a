import { isDeepStrictEqual } from 'node:util';
import { count, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CartFixture, openCartFixture } from '../../../test/modules/cart/fixture.ts';
import { outbox } from '../../platform/bus/schema.ts';
import type { Product } from '../catalog/index.ts';

let fx: CartFixture;
let mug: Product;
let token: string;

beforeAll(async () => {
  fx = await openCartFixture('cart-bad-input');
  mug = await fx.createProduct('Mug', 900);
  ({ token } = await fx.customer());
  expect(
    (await fx.send('POST', '/api/cart/items', token, { productId: mug.id, quantity: 2 })).status,
  ).toBe(200);
});
afterAll(async () => {
  await fx.harness.cleanup();
});

const state = async () => ({
  cart: await fx.getCart(token),
  orders: fx.orders.placed.size,
  events: (
    await fx.harness.db
      .select({ total: count() })
      .from(outbox)
      .where(eq(outbox.name, 'cart.checked_out'))
  )[0]?.total,
});

const junk = fc.oneof(
  fc.jsonValue(),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('', ' ', 'de', 'DEU', -1, 0, 1.5, 1001, 2 ** 31, '2', null, '\u0000', [], {}),
);
const address = { name: 'A', line1: 'Main 1', postalCode: '10115', city: 'Berlin', country: 'DE' };

/** A valid body with one field (or one address field) replaced by junk, or arbitrary JSON. */
const mutated = (valid: Record<string, unknown>, fields: string[]) =>
  fc.oneof(
    fc.jsonValue(),
    fc
      .record({ field: fc.constantFrom(...fields), value: junk })
      .map(({ field, value }) =>
        field.startsWith('shippingAddress.')
          ? { ...valid, shippingAddress: { ...address, [field.slice(16)]: value } }
          : { ...valid, [field]: value },
      ),
  );

const addressFields = Object.keys(address).map((field) => `shippingAddress.${field}`);

describe('bad input never yields a 5xx and never changes the cart', () => {
  // `{mug}` stands for the id of a product in the cart (made in beforeAll).
  it.each([
    ['POST', '/api/cart/items', mutated({ productId: '{mug}', quantity: 1 }, ['quantity'])],
    ['PATCH', '/api/cart/items/{mug}', mutated({ quantity: 1 }, ['quantity'])],
    [
      'POST',
      '/api/cart/checkout',
      mutated({ shippingAddress: address }, ['shippingAddress', 'cardToken', ...addressFields]),
    ],
  ] as const)('%s %s', async (method, path, bodies) => {
    const withMug = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value).replaceAll('{mug}', mug.id));
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), async (body, withKey) => {
        const before = await state();
        const response = await fx.send(
          method,
          withMug(path),
          token,
          withMug(body),
          withKey ? { 'idempotency-key': crypto.randomUUID() } : {},
        );
        expect(response.status).toBeLessThan(500);
        // Only a body that happens to be valid may change the cart: refused implies unchanged.
        const after = await state();
        expect(
          response.status < 400 || isDeepStrictEqual(after, before),
          `answered ${response.status} and changed the cart to ${JSON.stringify(after)}`,
        ).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('junk product ids in the path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.boolean(), async (id, patch) => {
        const before = await state();
        const path = `/api/cart/items/${encodeURIComponent(id)}`;
        const response = patch
          ? await fx.send('PATCH', path, token, { quantity: 3 })
          : await fx.send('DELETE', path, token);
        expect(response.status).toBeLessThan(500);
        expect(await state()).toEqual(before);
      }),
      { numRuns: 60 },
    );
  });
});
