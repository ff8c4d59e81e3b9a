import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import { createRecordingProvider } from '../../../test/modules/payments/recording-provider.ts';
import { createUnreliableProvider } from '../../../test/modules/payments/unreliable-provider.ts';
import type { OrdersOptions } from '../../modules/orders/index.ts';
import { createPaymentsModule, type PaymentProvider } from '../../modules/payments/index.ts';
import { settlesWithin } from '../../platform/resilience/deadline.ts';
import { inProcessPaymentGateway } from './payment-gateway.ts';

// The checkout saga over the real payments module, through the PaymentGateway adapter the
// monolith wires, with a provider that charges and then fails to answer: whatever it does, no
// order ends cancelled while its money is kept.

let f: OrdersFixture;
beforeAll(async () => {
  f = await openOrdersFixture('payment-gateway');
});
afterAll(async () => {
  await f.harness.cleanup();
});

const PROVIDER_TIMEOUT_MS = 300;
const PROVIDER_DOWN = 'payment could not be taken: payment provider unavailable';

function checkoutWith(provider: PaymentProvider, options: OrdersOptions = {}) {
  const payments = createPaymentsModule(
    f.harness.context,
    { provider },
    { providerTimeoutMs: PROVIDER_TIMEOUT_MS },
  );
  const orders = f.newInstance({
    ...options,
    ports: { payments: inProcessPaymentGateway(payments.api) },
  });
  return { orders, payments: payments.api };
}

const placement = (productId: string, cardToken?: string) => ({
  userId: randomUUID(),
  items: [{ productId, quantity: 1 }],
  shippingAddress: address(),
  ...(cardToken && { cardToken }),
});

describe('the checkout saga when the provider charged but its answer never came', () => {
  it('cancels the order and refunds it: one charge, one refund, stock released', async () => {
    const product = await f.product(5, { amountMinor: 2_000 });
    const unreliable = createUnreliableProvider();
    const { orders, payments } = checkoutWith(unreliable.provider);
    unreliable.loseAnswers(1);

    const { order } = await orders.api.placeOrder(placement(product.id), randomUUID());

    expect(order).toMatchObject({ status: 'cancelled', cancelReason: PROVIDER_DOWN });
    expect(await payments.getPaymentByOrder(order.id)).toMatchObject({ status: 'refunded' });
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(unreliable.moneyReturned()).toHaveLength(1);
    expect(await f.stock(product.id)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('from a provider that hangs: the checkout answers within the provider timeout, cancelled and refunded', async () => {
    const product = await f.product(5, { amountMinor: 2_100 });
    const unreliable = createUnreliableProvider();
    const { orders, payments } = checkoutWith(unreliable.provider);
    unreliable.hang(1);

    const placing = orders.api.placeOrder(placement(product.id), randomUUID());
    placing.catch(() => {});
    expect(await settlesWithin(placing, PROVIDER_TIMEOUT_MS + 3_000)).toBe(true);
    const { order } = await placing;

    expect(order).toMatchObject({ status: 'cancelled', cancelReason: PROVIDER_DOWN });
    expect(await payments.getPaymentByOrder(order.id)).toMatchObject({ status: 'refunded' });
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(unreliable.moneyReturned()).toHaveLength(1);
  });

  it('and still none when the refund asks: the order waits, pending, and recovery refunds it', async () => {
    const product = await f.product(5, { amountMinor: 2_200 });
    const unreliable = createUnreliableProvider();
    const { orders, payments } = checkoutWith(unreliable.provider, { sagaRetryDelayMs: 0 });
    // The capture's answer and the refund's question about it are both lost.
    unreliable.loseAnswers(2);
    const request = placement(product.id);
    const key = randomUUID();

    await expect(orders.api.placeOrder(request, key)).rejects.toMatchObject({ status: 503 });
    const [orderId] = [...unreliable.charges.map((charge) => charge.reference)];
    if (!orderId) throw new Error('the provider was never asked');
    expect(await f.orders.api.getOrder(orderId)).toMatchObject({ status: 'pending' });
    expect(await payments.getPaymentByOrder(orderId)).toMatchObject({ status: 'pending' });

    const recovering = checkoutWith(unreliable.provider).orders;
    await recovering.start?.();
    await recovering.stop?.();

    expect(await f.orders.api.getOrder(orderId)).toMatchObject({
      status: 'cancelled',
      cancelReason: PROVIDER_DOWN,
    });
    expect(await payments.getPaymentByOrder(orderId)).toMatchObject({ status: 'refunded' });
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(unreliable.moneyReturned()).toHaveLength(1);
    expect(await orders.api.placeOrder(request, key)).toMatchObject({
      replayed: true,
      order: { id: orderId, status: 'cancelled' },
    });
  });
});

describe('the checkout saga when the provider refused before charging (tok_error)', () => {
  it('cancels the order within the request: nothing charged, nothing to refund', async () => {
    const product = await f.product(5, { amountMinor: 2_300 });
    const recording = createRecordingProvider();
    const { orders, payments } = checkoutWith(recording.provider);

    const { order } = await orders.api.placeOrder(placement(product.id, 'tok_error'), randomUUID());

    expect(order).toMatchObject({ status: 'cancelled', cancelReason: PROVIDER_DOWN });
    expect(await payments.getPaymentByOrder(order.id)).toBeUndefined();
    // The capture asked once; the refund found nothing to ask about.
    expect(recording.charges).toHaveLength(1);
    expect(recording.refunds).toEqual([]);
  });
});
