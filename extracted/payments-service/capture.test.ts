import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentV1 } from '../../src/contracts/payments/v1/index.ts';
import {
  captureRequest,
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../test/extracted/payments-service/providers.ts';
import { expectProblem } from '../../test/support/problem.ts';

// Capture on real PostgreSQL, through the HTTP API of the service as the kernel starts it.

const test = createTestProvider();
let harness: PaymentsServiceHarness;
beforeAll(async () => {
  harness = await startPaymentsServiceOnPostgres(
    'payments-service-capture',
    { provider: test.provider },
    { PAYMENTS_SERVICE_PROVIDER_TIMEOUT_MS: '300' },
  );
});
afterAll(async () => {
  await harness.stop();
});

const capture = (body: unknown) => harness.send('POST', '/v1/payments', { body });

describe('POST /v1/payments', () => {
  it('captures: 201 with the payment, its Location, one row and one payment.captured', async () => {
    const request = captureRequest();
    const response = await capture(request);
    expect(response.status).toBe(201);
    const payment = (await response.json()) as PaymentV1;
    expect(payment).toMatchObject({
      order_ref: request.order_ref,
      customer_ref: request.customer_ref,
      amount: request.amount,
      status: 'captured',
      provider_ref: expect.stringMatching(/^sbx_ch_/),
    });
    expect(payment).not.toHaveProperty('decline_reason');
    expect(response.headers.get('location')).toBe(`/v1/payments/${payment.id}`);
    expect(await harness.rowsFor(request.order_ref)).toMatchObject([
      { status: 'captured', cardToken: null, cardLast4: 'visa', attemptToken: null },
    ]);
    expect(await harness.eventsFor(request.order_ref)).toEqual(['payment.captured']);
  });

  it('charges the customer default source when the source says so', async () => {
    const request = captureRequest({ source: { type: 'customer_default' } });
    const response = await capture(request);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ status: 'captured' });
  });

  it('answers a decline as a payment with status declined (201), and payment.failed', async () => {
    const byCard = captureRequest({ source: { type: 'card', token: 'tok_decline' } });
    const byAmount = captureRequest({ amount: { amount_minor: 1013, currency: 'EUR' } });
    const first = await capture(byCard);
    const second = await capture(byAmount);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(await first.json()).toMatchObject({
      status: 'declined',
      decline_reason: 'card declined',
    });
    const declined = (await second.json()) as PaymentV1;
    expect(declined).toMatchObject({ status: 'declined', decline_reason: 'insufficient funds' });
    expect(declined).not.toHaveProperty('provider_ref');
    expect(await harness.eventsFor(byCard.order_ref)).toEqual(['payment.failed']);
  });

  it('captures once per order_ref: a repeat answers the first payment and charges nothing', async () => {
    const request = captureRequest();
    const first = (await (await capture(request)).json()) as PaymentV1;
    const again = await capture(request);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(first);
    expect(test.charges.filter((reference) => reference === request.order_ref)).toHaveLength(1);
    expect(await harness.eventsFor(request.order_ref)).toEqual(['payment.captured']);
  });

  it('refuses another amount or customer for a paid order_ref: 409 order-already-paid', async () => {
    const request = captureRequest();
    await capture(request);
    const otherAmount = await capture({
      ...request,
      amount: { amount_minor: 2600, currency: 'EUR' },
    });
    const problem = await expectProblem(otherAmount, 409);
    expect(problem.type).toBe('https://commerce.example/errors/order-already-paid');
    const otherCustomer = await capture({
      ...request,
      customer_ref: captureRequest().customer_ref,
    });
    expect((await expectProblem(otherCustomer, 409)).type).toBe(problem.type);
    expect(await harness.rowsFor(request.order_ref)).toMatchObject([
      { amountMinor: 2500, customerRef: request.customer_ref },
    ]);
  });

  it('answers a provider outage (tok_error) 503 provider-unavailable with Retry-After, and records nothing', async () => {
    const request = captureRequest({ source: { type: 'card', token: 'tok_error' } });
    const response = await capture(request);
    const problem = await expectProblem(response, 503);
    expect(problem.type).toBe('https://commerce.example/errors/provider-unavailable');
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await harness.rowsFor(request.order_ref)).toEqual([]);
    expect(await harness.eventsFor(request.order_ref)).toEqual([]);
  });
});

describe('an answer that never came', () => {
  it('is not a decline: 503 payment-outcome-unknown, the payment stays authorized, the next capture settles it with one charge', async () => {
    const request = captureRequest();
    test.loseAnswers(1);
    const lost = await capture(request);
    expect((await expectProblem(lost, 503)).type).toBe(
      'https://commerce.example/errors/payment-outcome-unknown',
    );
    expect(await harness.rowsFor(request.order_ref)).toMatchObject([
      { status: 'authorized', attemptToken: null, attemptExpiresAt: null, cardToken: 'tok_visa' },
    ]);
    const listed = await harness.send('GET', `/v1/payments?order_ref=${request.order_ref}`);
    expect(await listed.json()).toMatchObject({ data: [{ status: 'authorized' }] });

    const settled = await capture(request);
    expect(settled.status).toBe(201);
    const payment = (await settled.json()) as PaymentV1;
    expect(payment.status).toBe('captured');
    expect(test.charges.filter((reference) => reference === request.order_ref)).toHaveLength(2);
    expect(test.moneyTaken()).toContain(payment.provider_ref);
    expect(await harness.eventsFor(request.order_ref)).toEqual(['payment.captured']);
  });

  it('past PAYMENTS_SERVICE_PROVIDER_TIMEOUT_MS (a hung provider) is the same unknown outcome', async () => {
    const request = captureRequest();
    test.hang(1);
    const hung = await capture(request);
    expect((await expectProblem(hung, 503)).type).toBe(
      'https://commerce.example/errors/payment-outcome-unknown',
    );
    expect(await harness.rowsFor(request.order_ref)).toMatchObject([{ status: 'authorized' }]);
    const settled = await capture(request);
    expect(await settled.json()).toMatchObject({ status: 'captured' });
  });
});
