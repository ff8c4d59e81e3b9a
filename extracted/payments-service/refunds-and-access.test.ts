import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentV1, Refund } from '../../src/contracts/payments/v1/index.ts';
import {
  captureRequest,
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../test/extracted/payments-service/providers.ts';
import { errorPaths, expectProblem } from '../../test/support/problem.ts';

const test = createTestProvider();
let harness: PaymentsServiceHarness;
const customerId = randomUUID();
let customer: string;
let otherCustomer: string;
let admin: string;
beforeAll(async () => {
  harness = await startPaymentsServiceOnPostgres('payments-service-refunds', {
    provider: test.provider,
  });
  customer = await harness.tokenFor(['customer'], customerId);
  otherCustomer = await harness.tokenFor(['customer']);
  admin = await harness.tokenFor(['admin']);
});
afterAll(async () => {
  await harness.stop();
});

async function captured(overrides = {}): Promise<PaymentV1> {
  const response = await harness.send('POST', '/v1/payments', { body: captureRequest(overrides) });
  expect(response.status).toBe(201);
  return (await response.json()) as PaymentV1;
}

const refund = (id: string, token?: string, body: unknown = { reason: 'customer cancelled' }) =>
  harness.send('POST', `/v1/payments/${id}/refunds`, { token, body });

describe('POST /v1/payments/{id}/refunds', () => {
  it('refunds in full: 201 with the refund and the payment now refunded, and payment.refunded', async () => {
    const payment = await captured();
    const response = await refund(payment.id);
    expect(response.status).toBe(201);
    const made = (await response.json()) as Refund;
    expect(made).toMatchObject({
      payment_id: payment.id,
      amount: payment.amount,
      reason: 'customer cancelled',
      provider_ref: expect.stringMatching(/^sbx_rf_/),
      payment: { id: payment.id, status: 'refunded' },
    });
    expect(await harness.eventsFor(payment.order_ref)).toEqual([
      'payment.captured',
      'payment.refunded',
    ]);
    const read = await harness.send('GET', `/v1/payments/${payment.id}`);
    expect(await read.json()).toMatchObject({ status: 'refunded' });
  });

  it('refunds once: a second refund answers the first (200), the provider refunds once', async () => {
    const payment = await captured();
    const first = (await (await refund(payment.id)).json()) as Refund;
    const second = await refund(payment.id, undefined, { reason: 'asked twice' });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(first);
    expect(test.refunds.filter((ref) => ref === payment.provider_ref)).toHaveLength(1);
    expect(await harness.eventsFor(payment.order_ref)).toEqual([
      'payment.captured',
      'payment.refunded',
    ]);
  });

  it('refuses a declined payment: 409 refund-not-possible, nothing changed', async () => {
    const payment = await captured({ source: { type: 'card', token: 'tok_decline' } });
    const problem = await expectProblem(await refund(payment.id), 409);
    expect(problem.type).toBe('https://commerce.example/errors/refund-not-possible');
    expect(await harness.rowsFor(payment.order_ref)).toMatchObject([{ status: 'declined' }]);
  });

  it('answers 404 payment-not-found for no such payment', async () => {
    const problem = await expectProblem(await refund(randomUUID()), 404);
    expect(problem.type).toBe('https://commerce.example/errors/payment-not-found');
  });

  it('settles a capture whose answer was lost before it refunds: the money taken goes back', async () => {
    const request = captureRequest();
    test.loseAnswers(1);
    await expectProblem(await harness.send('POST', '/v1/payments', { body: request }), 503);
    const [row] = await harness.rowsFor(request.order_ref);
    const response = await refund(row?.id ?? '');
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ payment: { status: 'refunded' } });
    expect(await harness.eventsFor(request.order_ref)).toEqual([
      'payment.captured',
      'payment.refunded',
    ]);
  });
});

describe('who may do what', () => {
  it('a forwarded customer may not capture or refund: 403 forbidden, nothing recorded', async () => {
    const request = captureRequest({ customer_ref: customerId });
    const capture = await harness.send('POST', '/v1/payments', { token: customer, body: request });
    expect((await expectProblem(capture, 403)).type).toBe(
      'https://commerce.example/errors/forbidden',
    );
    expect(await harness.rowsFor(request.order_ref)).toEqual([]);
    const payment = await captured({ customer_ref: customerId });
    await expectProblem(await refund(payment.id, customer), 403);
    expect(await harness.rowsFor(payment.order_ref)).toMatchObject([{ status: 'captured' }]);
  });

  it('an admin, or the caller on its own authority, may capture and refund', async () => {
    const byAdmin = await harness.send('POST', '/v1/payments', {
      token: admin,
      body: captureRequest(),
    });
    expect(byAdmin.status).toBe(201);
    const payment = (await byAdmin.json()) as PaymentV1;
    expect((await refund(payment.id, admin)).status).toBe(201);
  });

  it("a forwarded customer reads their own payment; another's looks missing (404); an admin reads any", async () => {
    const payment = await captured({ customer_ref: customerId });
    const path = `/v1/payments/${payment.id}`;
    expect((await harness.send('GET', path, { token: customer })).status).toBe(200);
    const hidden = await expectProblem(
      await harness.send('GET', path, { token: otherCustomer }),
      404,
    );
    expect(hidden.type).toBe('https://commerce.example/errors/payment-not-found');
    expect((await harness.send('GET', path, { token: admin })).status).toBe(200);
  });

  it("a forwarded customer lists only their own payments, and may not ask for another's (403)", async () => {
    await captured({ customer_ref: customerId });
    await captured();
    const own = await harness.send('GET', '/v1/payments?limit=100', { token: customer });
    const page = (await own.json()) as { data: PaymentV1[] };
    expect(page.data.length).toBeGreaterThan(0);
    expect(new Set(page.data.map((p) => p.customer_ref))).toEqual(new Set([customerId]));
    const others = await harness.send('GET', `/v1/payments?customer_ref=${randomUUID()}`, {
      token: customer,
    });
    await expectProblem(others, 403);
  });
});

describe('bad input', () => {
  const bad: [string, unknown][] = [
    ['no order_ref', { ...captureRequest(), order_ref: undefined }],
    ['an order_ref that is no uuid', captureRequest({ order_ref: 'order-1' })],
    ['a zero amount', captureRequest({ amount: { amount_minor: 0, currency: 'EUR' } })],
    [
      'a fractional amount',
      { ...captureRequest(), amount: { amount_minor: 10.5, currency: 'EUR' } },
    ],
    ['a lowercase currency', captureRequest({ amount: { amount_minor: 100, currency: 'eur' } })],
    ['an unknown source type', { ...captureRequest(), source: { type: 'iban', token: 'x' } }],
    ['a card without a token', { ...captureRequest(), source: { type: 'card' } }],
    ['a NUL in the token', captureRequest({ source: { type: 'card', token: 'tok\u0000' } })],
    [
      'legacy field names',
      { orderId: randomUUID(), amount: { amountMinor: 100, currency: 'EUR' } },
    ],
  ];

  it.each(bad)(
    'a capture with %s: 400 validation-failed with field paths, nothing recorded',
    async (_, body) => {
      const before = await harness.paymentCount();
      const response = await harness.send('POST', '/v1/payments', { body });
      const problem = await expectProblem(response, 400);
      expect(problem.type).toBe('https://commerce.example/errors/validation-failed');
      expect(await harness.paymentCount()).toBe(before);
    },
  );

  it('a capture whose body is not JSON: 400, nothing recorded', async () => {
    const before = await harness.paymentCount();
    await expectProblem(await harness.send('POST', '/v1/payments', { body: '{"order_ref":' }), 400);
    expect(await harness.paymentCount()).toBe(before);
  });

  it('names the fields at fault', async () => {
    const response = await harness.send('POST', '/v1/payments', {
      body: captureRequest({ amount: { amount_minor: 0, currency: 'eur' } }),
    });
    const problem = await expectProblem(response, 400);
    expect(problem.type).toBe('https://commerce.example/errors/validation-failed');
    expect(errorPaths(problem).sort()).toEqual([
      'json.amount.amount_minor',
      'json.amount.currency',
    ]);
  });

  it('refuses any refund reason that is not 1 to 500 characters, and any id that is no uuid', async () => {
    const payment = await captured();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(''),
          fc.constant('   '),
          fc.string({ minLength: 501, maxLength: 600 }),
        ),
        async (reason) => {
          const response = await refund(payment.id, undefined, { reason });
          expect(response.status).toBe(400);
        },
      ),
      { numRuns: 15 },
    );
    await expectProblem(await refund('not-a-uuid'), 400);
    expect(await harness.rowsFor(payment.order_ref)).toMatchObject([{ status: 'captured' }]);
  });
});
