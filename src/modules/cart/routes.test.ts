import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CartFixture, openCartFixture } from '../../../test/modules/cart/fixture.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { expectProblem } from '../../../test/support/problem.ts';
import type { Product } from '../catalog/index.ts';
import type { Cart } from './contracts.ts';

let fx: CartFixture;
let mug: Product;
let kettle: Product;

beforeAll(async () => {
  fx = await openCartFixture('cart-routes');
  mug = await fx.createProduct('Mug', 900);
  kettle = await fx.createProduct('Kettle', 2500);
});
afterAll(async () => {
  await fx.harness.cleanup();
});

const add = (token: string, productId: string, quantity: number) =>
  fx.send('POST', '/api/cart/items', token, { productId, quantity });
const change = (token: string, productId: string, quantity: number) =>
  fx.send('PATCH', `/api/cart/items/${productId}`, token, { quantity });
const remove = (token: string, productId: string) =>
  fx.send('DELETE', `/api/cart/items/${productId}`, token);

/** (product, quantity, unit, line) per line, then the total and unit count. */
const summary = (cart: Cart) => ({
  lines: cart.items.map((line) => [
    line.name,
    line.quantity,
    line.unitPrice.amountMinor,
    line.lineTotal.amountMinor,
  ]),
  total: cart.total,
  itemCount: cart.itemCount,
});

describe('editing the cart', () => {
  it('starts empty, with a zero EUR total', async () => {
    const { token } = await fx.customer();
    const cart = await fx.getCart(token);
    expect(cart.items).toEqual([]);
    expect(cart.total).toEqual({ amountMinor: 0, currency: 'EUR' });
    expect(cart.itemCount).toBe(0);
    // The same cart every time.
    expect((await fx.getCart(token)).id).toBe(cart.id);
  });

  it('adds, grows a line, changes and removes, with line totals and total', async () => {
    const { token } = await fx.customer();
    let response = await add(token, mug.id, 2);
    expect(response.status).toBe(200);
    expect(summary((await response.json()) as Cart)).toEqual({
      lines: [['Mug', 2, 900, 1800]],
      total: { amountMinor: 1800, currency: 'EUR' },
      itemCount: 2,
    });

    await add(token, kettle.id, 1);
    response = await add(token, mug.id, 3);
    expect(summary((await response.json()) as Cart)).toEqual({
      lines: [
        ['Mug', 5, 900, 4500],
        ['Kettle', 1, 2500, 2500],
      ],
      total: { amountMinor: 7000, currency: 'EUR' },
      itemCount: 6,
    });

    response = await change(token, kettle.id, 4);
    expect(response.status).toBe(200);
    expect(summary((await response.json()) as Cart).total.amountMinor).toBe(4500 + 10000);

    expect((await remove(token, mug.id)).status).toBe(204);
    expect(summary(await fx.getCart(token))).toEqual({
      lines: [['Kettle', 4, 2500, 10000]],
      total: { amountMinor: 10000, currency: 'EUR' },
      itemCount: 4,
    });

    // Quantity 0 removes the line; a second removal finds nothing.
    response = await change(token, kettle.id, 0);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Cart).items).toEqual([]);
    await expectProblem(await remove(token, kettle.id), 404);
    await expectProblem(await change(token, kettle.id, 1), 404);
  });

  it('keeps the price snapshot when the catalog price changes, until the line changes', async () => {
    const { token } = await fx.customer();
    const lamp = await fx.createProduct('Lamp', 1000);
    await add(token, lamp.id, 2);
    await fx.changeProduct(lamp.id, {
      price: { amountMinor: 1500, currency: 'EUR' },
      name: 'Desk lamp',
    });

    expect(summary(await fx.getCart(token))).toEqual({
      lines: [['Lamp', 2, 1000, 2000]],
      total: { amountMinor: 2000, currency: 'EUR' },
      itemCount: 2,
    });
    // Changing the line takes the price (and name) of now.
    const response = await change(token, lamp.id, 3);
    expect(summary((await response.json()) as Cart).lines).toEqual([['Desk lamp', 3, 1500, 4500]]);
  });

  it('refuses unknown (404), archived (404) and inactive (409) products, changing nothing', async () => {
    const { token } = await fx.customer();
    await add(token, mug.id, 1);
    const before = await fx.getCart(token);

    await expectProblem(await add(token, randomUUID(), 1), 404);
    const archived = await fx.createProduct('Gone', 700);
    await fx.archiveProduct(archived.id);
    await expectProblem(await add(token, archived.id, 1), 404);
    const inactive = await fx.createProduct('Old stock', 500, { active: false });
    const body = await expectProblem(await add(token, inactive.id, 1), 409);
    expect(body.detail).toContain('not for sale');

    // A product in the cart that goes out of sale cannot be raised, but can be removed.
    const vase = await fx.createProduct('Vase', 3000);
    await add(token, vase.id, 1);
    await fx.changeProduct(vase.id, { active: false });
    await expectProblem(await change(token, vase.id, 2), 409);
    await expectProblem(await add(token, vase.id, 1), 409);
    expect((await remove(token, vase.id)).status).toBe(204);

    expect(await fx.getCart(token)).toEqual(before);
  });

  it('refuses a second currency (409) and a line over 1000 units (409)', async () => {
    const { token } = await fx.customer();
    const dollarMug = await fx.createProduct('Dollar mug', 800, { currency: 'USD' });
    await add(token, mug.id, 999);
    const before = await fx.getCart(token);

    const body = await expectProblem(await add(token, dollarMug.id, 1), 409);
    expect(body.detail).toContain('USD');
    await expectProblem(await add(token, mug.id, 2), 409);
    expect(await fx.getCart(token)).toEqual(before);

    // A cart in USD only is fine, and totals in USD.
    const other = await fx.customer();
    const cart = (await (await add(other.token, dollarMug.id, 3)).json()) as Cart;
    expect(cart.total).toEqual({ amountMinor: 2400, currency: 'USD' });
  });

  it('holds at most 50 different products (what one order may carry)', async () => {
    const { token } = await fx.customer();
    for (let index = 0; index < 50; index += 1) {
      const product = await fx.createProduct(`Spoon ${index}`, 100);
      expect((await add(token, product.id, 1)).status).toBe(200);
    }
    const fork = await fx.createProduct('Fork', 100);
    await expectProblem(await add(token, fork.id, 1), 409);
    // An existing line may still grow.
    expect((await add(token, (await fx.getCart(token)).items[0]!.productId, 1)).status).toBe(200);
    const cart = await fx.getCart(token);
    expect([cart.items.length, cart.itemCount, cart.total.amountMinor]).toEqual([50, 51, 5100]);
  });

  it('answers the cart through the api too', async () => {
    const { token, userId } = await fx.customer();
    await add(token, mug.id, 1);
    expect(await fx.cartApi.getCart(userId)).toEqual(await fx.getCart(token));
    await expect(fx.cartApi.getCart('not-a-uuid')).rejects.toMatchObject({ status: 400 });
  });
});

describe('who sees which cart', () => {
  const routes = (productId: string) =>
    [
      ['GET', '/api/cart', undefined],
      ['POST', '/api/cart/items', { productId, quantity: 1 }],
      ['PATCH', `/api/cart/items/${productId}`, { quantity: 1 }],
      ['DELETE', `/api/cart/items/${productId}`, undefined],
      ['POST', '/api/cart/checkout', { shippingAddress: {} }],
    ] as const;

  it('answers 401 on every route without a token, with an expired one and a forged one', async () => {
    const { userId } = await fx.customer();
    const tokens = {
      none: '',
      expired: await fx.expiredToken(userId),
      forged: await fx.forgedToken(userId),
    };
    for (const [kind, token] of Object.entries(tokens)) {
      for (const [method, path, body] of routes(mug.id)) {
        const response = await fx.send(method, path, token, body, { 'idempotency-key': 'k' });
        expect({ kind, method, path, status: response.status }).toEqual({
          kind,
          method,
          path,
          status: 401,
        });
      }
    }
    // Nothing was made for that user on the way.
    expect((await fx.cartApi.getCart(userId)).items).toEqual([]);
  });

  it("never shows or changes another user's cart", async () => {
    const alice = await fx.customer();
    const bob = await fx.customer();
    await add(alice.token, mug.id, 2);
    const aliceCart = await fx.getCart(alice.token);

    const bobCart = await fx.getCart(bob.token);
    expect(bobCart.id).not.toBe(aliceCart.id);
    expect(bobCart.items).toEqual([]);
    await expectProblem(await change(bob.token, mug.id, 5), 404);
    await expectProblem(await remove(bob.token, mug.id), 404);
    await expectProblem(
      await fx.send(
        'POST',
        '/api/cart/checkout',
        bob.token,
        { shippingAddress: { name: 'B', line1: 'x', postalCode: '1', city: 'y', country: 'DE' } },
        { 'idempotency-key': 'bob-1' },
      ),
      409,
    );
    expect(await fx.getCart(alice.token)).toEqual(aliceCart);
  });
});

describe('bad input', () => {
  it('answers 400 with field paths and changes nothing', async () => {
    const { token } = await fx.customer();
    await add(token, mug.id, 1);
    const before = await fx.getCart(token);
    const address = {
      name: 'A',
      line1: 'Main 1',
      postalCode: '10115',
      city: 'Berlin',
      country: 'DE',
    };
    const cases: [string, string, unknown, Record<string, string>, string][] = [
      ['POST', '/api/cart/items', { productId: 'nope', quantity: 1 }, {}, 'json.productId'],
      ['POST', '/api/cart/items', { productId: mug.id, quantity: 0 }, {}, 'json.quantity'],
      ['POST', '/api/cart/items', { productId: mug.id, quantity: 1.5 }, {}, 'json.quantity'],
      ['POST', '/api/cart/items', { productId: mug.id, quantity: 1001 }, {}, 'json.quantity'],
      ['POST', '/api/cart/items', { productId: mug.id, quantity: '2' }, {}, 'json.quantity'],
      ['POST', '/api/cart/items', { productId: mug.id }, {}, 'json.quantity'],
      ['PATCH', `/api/cart/items/${mug.id}`, { quantity: -1 }, {}, 'json.quantity'],
      ['PATCH', `/api/cart/items/${mug.id}`, {}, {}, 'json.quantity'],
      ['PATCH', '/api/cart/items/not-a-uuid', { quantity: 2 }, {}, 'param.productId'],
      ['DELETE', '/api/cart/items/not-a-uuid', undefined, {}, 'param.productId'],
      ['POST', '/api/cart/checkout', { shippingAddress: address }, {}, 'header.idempotency-key'],
      [
        'POST',
        '/api/cart/checkout',
        { shippingAddress: { ...address, country: 'de' } },
        { 'idempotency-key': 'bad-1' },
        'json.shippingAddress.country',
      ],
      [
        'POST',
        '/api/cart/checkout',
        { shippingAddress: { ...address, city: '' } },
        { 'idempotency-key': 'bad-2' },
        'json.shippingAddress.city',
      ],
      ['POST', '/api/cart/checkout', {}, { 'idempotency-key': 'bad-3' }, 'json.shippingAddress'],
    ];
    for (const [method, path, body, headers, errorPath] of cases) {
      const problem = await expectProblem(await fx.send(method, path, token, body, headers), 400);
      expect(problem.errors?.map((error) => error.path)).toContain(errorPath);
    }
    // Malformed JSON is a 400 too.
    expect((await fx.send('POST', '/api/cart/items', token, '{"productId":')).status).toBe(400);

    expect(await fx.getCart(token)).toEqual(before);
    expect(fx.orders.placed.size).toBe(0);
    const events = await outboxEvents(fx.harness.db, 'cart.checked_out');
    expect(events).toEqual([]);
  });
});
