import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CartFixture, openCartFixture } from '../../../test/modules/cart/fixture.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import type { Product } from '../catalog/index.ts';
import type { Cart, PlacedOrder } from './contracts.ts';

let fx: CartFixture;
let mug: Product;
let kettle: Product;

beforeAll(async () => {
  fx = await openCartFixture('cart-checkout');
  mug = await fx.createProduct('Mug', 900);
  kettle = await fx.createProduct('Kettle', 2500);
});
afterAll(async () => {
  await fx.harness.cleanup();
});

const address = {
  name: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
};

interface CheckoutBody {
  replayed: boolean;
  cartEmptied: boolean;
  order: PlacedOrder & { [field: string]: unknown };
}

const add = (token: string, productId: string, quantity: number) =>
  fx.send('POST', '/api/cart/items', token, { productId, quantity });
const checkout = (token: string, key: string, body: unknown = { shippingAddress: address }) =>
  fx.send('POST', '/api/cart/checkout', token, body, { 'idempotency-key': key });

const checkedOutEvents = (orderId?: string) =>
  outboxEvents(fx.harness.db, 'cart.checked_out', orderId);

async function filledCart(): Promise<{ token: string; userId: string; cart: Cart }> {
  const customer = await fx.customer();
  await add(customer.token, mug.id, 2);
  await add(customer.token, kettle.id, 1);
  return { ...customer, cart: await fx.getCart(customer.token) };
}

describe('checkout', () => {
  it('places the order with the cart lines, empties the cart and publishes cart.checked_out', async () => {
    fx.orders.outcome = 'confirmed';
    const { token, userId, cart } = await filledCart();
    const key = randomUUID();

    const response = await checkout(token, key, { shippingAddress: address, cardToken: 'tok_ok' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as CheckoutBody;
    expect(body.replayed).toBe(false);
    expect(body.cartEmptied).toBe(true);
    expect(body.order.status).toBe('confirmed');
    expect(body.order.total).toEqual({ amountMinor: 2 * 900 + 2500, currency: 'EUR' });

    // Orders got exactly the cart's lines, the address, the card token and the same key.
    expect(fx.orders.placed.get(key)?.request).toEqual({
      userId,
      items: [
        { productId: mug.id, quantity: 2 },
        { productId: kettle.id, quantity: 1 },
      ],
      shippingAddress: address,
      cardToken: 'tok_ok',
    });

    const after = await fx.getCart(token);
    expect(after.id).toBe(cart.id);
    expect(after.items).toEqual([]);
    expect(after.total).toEqual({ amountMinor: 0, currency: 'EUR' });

    const events = await checkedOutEvents(body.order.id);
    expect(events.map((event) => event.payload)).toEqual([
      { cartId: cart.id, userId, orderId: body.order.id },
    ]);
    expect(events[0]?.version).toBe(1);
  });

  it('keeps the cart when the order comes back cancelled, and says why', async () => {
    fx.orders.outcome = 'cancelled';
    const { token, cart } = await filledCart();

    const response = await checkout(token, randomUUID());
    expect(response.status).toBe(201);
    const body = (await response.json()) as CheckoutBody;
    expect(body.cartEmptied).toBe(false);
    expect(body.order.status).toBe('cancelled');
    expect(body.order.cancelReason).toBe('payment declined');

    expect(await fx.getCart(token)).toEqual(cart);
    expect(await checkedOutEvents(body.order.id)).toEqual([]);

    // Fixed (here: the provider accepts again), a new key checks out the same cart.
    fx.orders.outcome = 'confirmed';
    const retry = (await (await checkout(token, randomUUID())).json()) as CheckoutBody;
    expect(retry.order.status).toBe('confirmed');
    expect(retry.cartEmptied).toBe(true);
    expect((await fx.getCart(token)).items).toEqual([]);
  });

  it('replays the same key: the same order, placed once, emptied once, one event', async () => {
    fx.orders.outcome = 'confirmed';
    const { token } = await filledCart();
    const key = randomUUID();
    const first = (await (await checkout(token, key)).json()) as CheckoutBody;
    const placedBefore = fx.orders.placed.size;

    // Items added after the checkout are not touched by a replay.
    await add(token, mug.id, 1);
    const cartAfterRefill = await fx.getCart(token);

    const response = await checkout(token, key);
    expect(response.status).toBe(200);
    const again = (await response.json()) as CheckoutBody;
    expect(again).toEqual({ replayed: true, cartEmptied: false, order: first.order });
    expect(fx.orders.placed.size).toBe(placedBefore);
    expect(await fx.getCart(token)).toEqual(cartAfterRefill);
    expect(await checkedOutEvents(first.order.id)).toHaveLength(1);

    // The same key with another address is not the same checkout.
    const other = await checkout(token, key, { shippingAddress: { ...address, city: 'Hamburg' } });
    expect(other.status).toBe(422);
    expect(await fx.getCart(token)).toEqual(cartAfterRefill);
  });

  it('replays a cancelled checkout without touching the cart', async () => {
    fx.orders.outcome = 'cancelled';
    const { token, cart } = await filledCart();
    const key = randomUUID();
    const first = (await (await checkout(token, key)).json()) as CheckoutBody;
    fx.orders.outcome = 'confirmed';

    const response = await checkout(token, key);
    expect(response.status).toBe(200);
    expect(((await response.json()) as CheckoutBody).order).toEqual(first.order);
    expect(await fx.getCart(token)).toEqual(cart);
  });

  it('survives the same key sent twice at once: one order, one emptying, one event', async () => {
    fx.orders.outcome = 'confirmed';
    const { token } = await filledCart();
    const key = randomUUID();
    const bodies = (await Promise.all(
      [checkout(token, key), checkout(token, key)].map(async (response) => (await response).json()),
    )) as CheckoutBody[];
    const orderIds = new Set(bodies.map((body) => body.order.id));
    expect(orderIds.size).toBe(1);
    expect(bodies.filter((body) => body.cartEmptied)).toHaveLength(1);
    expect((await fx.getCart(token)).items).toEqual([]);
    expect(await checkedOutEvents([...orderIds][0])).toHaveLength(1);
  });

  it('takes out only what was ordered: units added during placement stay', async () => {
    fx.orders.outcome = 'confirmed';
    const { token } = await filledCart();
    const lamp = await fx.createProduct('Lamp', 4000);
    fx.orders.whilePlacing = async () => {
      await add(token, mug.id, 3);
      await add(token, lamp.id, 1);
    };
    try {
      const body = (await (await checkout(token, randomUUID())).json()) as CheckoutBody;
      expect(body.cartEmptied).toBe(true);
    } finally {
      fx.orders.whilePlacing = undefined;
    }
    const cart = await fx.getCart(token);
    expect(cart.items.map((line) => [line.name, line.quantity])).toEqual([
      ['Mug', 3],
      ['Lamp', 1],
    ]);
    expect(cart.total).toEqual({ amountMinor: 3 * 900 + 4000, currency: 'EUR' });
  });

  it('refuses an empty cart with a 409 problem and places nothing', async () => {
    const { token } = await fx.customer();
    const placedBefore = fx.orders.placed.size;
    const response = await checkout(token, randomUUID());
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(fx.orders.placed.size).toBe(placedBefore);
  });
});
