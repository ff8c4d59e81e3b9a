import { randomUUID } from 'node:crypto';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentV1, Refund } from '../../src/contracts/payments/v1/index.ts';
import { outbox } from '../../src/platform/bus/schema.ts';
import type { Problem } from '../../src/platform/http/problem.ts';
import {
  captureRequest,
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../test/extracted/payments-service/providers.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { idempotencyRecords, paymentRecords, refunds } from './schema.ts';

// X-Dry-Run: true on both POSTs, on real PostgreSQL: the answer a real request would get, with
// nothing stored (payments, refunds, outbox, Idempotency-Keys) and no call to the provider.

const test = createTestProvider();
let harness: PaymentsServiceHarness;
beforeAll(async () => {
  harness = await startPaymentsServiceOnPostgres('payments-service-dry-run', {
    provider: test.provider,
  });
});
afterAll(async () => {
  await harness.stop();
});

const DRY = { 'X-Dry-Run': 'true' };

const post = (
  path: string,
  body: unknown,
  options: { dry?: boolean; key?: string; token?: string } = {},
) =>
  harness.send('POST', path, {
    body,
    token: options.token,
    headers: { ...(options.dry && DRY), ...(options.key && { 'Idempotency-Key': options.key }) },
  });

const refundPath = (id: string) => `/v1/payments/${id}/refunds`;

async function capturedPayment(overrides = {}): Promise<PaymentV1> {
  const response = await post('/v1/payments', captureRequest(overrides));
  expect(response.status).toBe(201);
  return (await response.json()) as PaymentV1;
}

/** Everything a request could leave behind, counted. */
async function footprint() {
  const { db } = harness.service.database;
  const rows = async (table: typeof paymentRecords | typeof refunds | typeof outbox) => {
    const [row] = await db.select({ n: count() }).from(table);
    return row?.n;
  };
  const [keys] = await db.select({ n: count() }).from(idempotencyRecords);
  return {
    payments: await rows(paymentRecords),
    refunds: await rows(refunds),
    outbox: await rows(outbox),
    idempotencyKeys: keys?.n,
    charges: test.charges.length,
    providerRefunds: test.refunds.length,
  };
}

const sortedKeys = (value: object) => Object.keys(value).sort();

describe('a dry-run capture (POST /v1/payments, X-Dry-Run: true)', () => {
  it('answers 201 as a real capture does, marked X-Dry-Run, and leaves nothing behind', async () => {
    const before = await footprint();
    const request = captureRequest();
    const dry = await post('/v1/payments', request, { dry: true, key: 'dry-capture' });
    expect(dry.status).toBe(201);
    expect(dry.headers.get('x-dry-run')).toBe('true');
    const answer = (await dry.json()) as PaymentV1;
    expect(answer).toMatchObject({
      order_ref: request.order_ref,
      customer_ref: request.customer_ref,
      amount: request.amount,
      status: 'captured',
      provider_ref: expect.stringMatching(/^sbx_ch_/),
    });
    expect(dry.headers.get('location')).toBe(`/v1/payments/${answer.id}`);
    expect(await footprint()).toEqual(before);
    // Its id names nothing.
    await expectProblem(await harness.send('GET', `/v1/payments/${answer.id}`), 404);

    const real = await post('/v1/payments', request);
    expect(real.status).toBe(201);
    expect(real.headers.get('x-dry-run')).toBeNull();
    const payment = (await real.json()) as PaymentV1;
    expect(sortedKeys(answer)).toEqual(sortedKeys(payment));
    expect(payment.id).not.toBe(answer.id);
  });

  it('a card the sandbox declines is declined, with the sandbox’s reason, and nothing charged', async () => {
    const before = await footprint();
    const byCard = await post(
      '/v1/payments',
      captureRequest({ source: { type: 'card', token: 'tok_decline' } }),
      { dry: true },
    );
    const byAmount = await post(
      '/v1/payments',
      captureRequest({ amount: { amount_minor: 2513, currency: 'EUR' } }),
      { dry: true },
    );
    expect(byCard.status).toBe(201);
    expect(await byCard.json()).toMatchObject({
      status: 'declined',
      decline_reason: 'card declined',
    });
    expect(byAmount.status).toBe(201);
    expect(await byAmount.json()).toMatchObject({
      status: 'declined',
      decline_reason: 'insufficient funds',
    });
    expect(await footprint()).toEqual(before);
  });

  it('a repeat of a recorded capture answers that payment, as the real repeat does', async () => {
    const request = captureRequest();
    const payment = (await (await post('/v1/payments', request)).json()) as PaymentV1;
    const before = await footprint();
    const dry = await post('/v1/payments', request, { dry: true });
    expect(dry.status).toBe(201);
    expect(await dry.json()).toEqual(payment);
    expect(await footprint()).toEqual(before);
  });
});

describe('a dry-run refund (POST /v1/payments/{id}/refunds, X-Dry-Run: true)', () => {
  it('of a captured payment answers 201 as a refund does, and changes nothing', async () => {
    const payment = await capturedPayment();
    const before = await footprint();
    const dry = await post(refundPath(payment.id), { reason: 'customer cancelled' }, { dry: true });
    expect(dry.status).toBe(201);
    expect(dry.headers.get('x-dry-run')).toBe('true');
    const answer = (await dry.json()) as Refund;
    expect(answer).toMatchObject({
      payment_id: payment.id,
      amount: payment.amount,
      reason: 'customer cancelled',
      provider_ref: expect.stringMatching(/^sbx_rf_/),
      payment: { id: payment.id, status: 'refunded' },
    });
    expect(await footprint()).toEqual(before);
    expect(await harness.rowsFor(payment.order_ref)).toMatchObject([{ status: 'captured' }]);
    expect(await harness.eventsFor(payment.order_ref)).toEqual(['payment.captured']);

    // Still refundable for real, and the real refund looks the same.
    const real = await post(refundPath(payment.id), { reason: 'customer cancelled' });
    expect(real.status).toBe(201);
    const made = (await real.json()) as Refund;
    expect(sortedKeys(made)).toEqual(sortedKeys(answer));
    expect(made.id).not.toBe(answer.id);
  });

  it('of a refunded payment answers its refund again (200), as the real one does', async () => {
    const payment = await capturedPayment();
    const made = (await (await post(refundPath(payment.id), { reason: 'first' })).json()) as Refund;
    const dry = await post(refundPath(payment.id), { reason: 'again' }, { dry: true });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toEqual(made);
  });
});

describe('dry-run refusals equal the real ones', () => {
  /** Sends the request dry, then for real; returns the status and problem type of each. */
  async function both(path: string, body: unknown, token?: string) {
    const before = await footprint();
    const dry = await post(path, body, { dry: true, token });
    expect(dry.headers.get('x-dry-run')).toBe('true');
    const dryProblem = (await dry.json()) as Problem;
    expect(await footprint()).toEqual(before);
    const real = await post(path, body, { token });
    const realProblem = (await real.json()) as Problem;
    return {
      dry: { status: dry.status, type: dryProblem.type },
      real: { status: real.status, type: realProblem.type },
    };
  }

  const type = (code: string) => `https://commerce.example/errors/${code}`;

  it('409 order-already-paid for another amount on a paid order', async () => {
    const payment = await capturedPayment();
    const clash = captureRequest({
      order_ref: payment.order_ref,
      customer_ref: payment.customer_ref,
      amount: { amount_minor: 9900, currency: 'EUR' },
    });
    const answers = await both('/v1/payments', clash);
    expect(answers.dry).toEqual({ status: 409, type: type('order-already-paid') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('409 refund-not-possible for a declined payment', async () => {
    const declined = await capturedPayment({ source: { type: 'card', token: 'tok_decline' } });
    const answers = await both(refundPath(declined.id), { reason: 'customer cancelled' });
    expect(answers.dry).toEqual({ status: 409, type: type('refund-not-possible') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('404 payment-not-found for a refund of no payment', async () => {
    const answers = await both(refundPath(randomUUID()), { reason: 'customer cancelled' });
    expect(answers.dry).toEqual({ status: 404, type: type('payment-not-found') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('400 validation-failed for an invalid body', async () => {
    const answers = await both('/v1/payments', {
      ...captureRequest(),
      amount: { amount_minor: 0 },
    });
    expect(answers.dry).toEqual({ status: 400, type: type('validation-failed') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('403 forbidden for a customer capturing', async () => {
    const customer = await harness.tokenFor(['customer']);
    const answers = await both('/v1/payments', captureRequest(), customer);
    expect(answers.dry).toEqual({ status: 403, type: type('forbidden') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('503 provider-unavailable for the sandbox’s outage card, nothing recorded', async () => {
    const outage = captureRequest({ source: { type: 'card', token: 'tok_error' } });
    const answers = await both('/v1/payments', outage);
    expect(answers.dry).toEqual({ status: 503, type: type('provider-unavailable') });
    expect(answers.real).toEqual(answers.dry);
  });

  it('a dry-run header other than `true` is a 400, and nothing runs', async () => {
    const before = await footprint();
    const request = captureRequest();
    const response = await harness.send('POST', '/v1/payments', {
      body: request,
      headers: { 'X-Dry-Run': 'yes', 'Idempotency-Key': 'odd-dry-run' },
    });
    const problem = await expectProblem(response, 400);
    expect(problem.type).toBe(type('validation-failed'));
    expect(await footprint()).toEqual(before);
  });
});

describe('a dry run and Idempotency-Key', () => {
  it('never uses a key up: a real request under it afterwards runs as the first', async () => {
    const dry = await post('/v1/payments', captureRequest(), { dry: true, key: 'dry-first' });
    expect(dry.status).toBe(201);
    const other = captureRequest();
    const real = await post('/v1/payments', other, { key: 'dry-first' });
    expect(real.status).toBe(201);
    expect(real.headers.get('idempotent-replayed')).toBeNull();
    expect(await harness.rowsFor(other.order_ref)).toHaveLength(1);
  });

  it('never replays a key either: a dry run under a used key is answered afresh', async () => {
    const request = captureRequest();
    await post('/v1/payments', request, { key: 'real-first' });
    const before = await footprint();
    const dry = await post('/v1/payments', captureRequest(), { dry: true, key: 'real-first' });
    expect(dry.status).toBe(201);
    expect(dry.headers.get('idempotent-replayed')).toBeNull();
    expect(await footprint()).toEqual(before);
  });
});

describe('the OpenAPI document', () => {
  it('names the X-Dry-Run header on both POSTs', async () => {
    const response = await harness.service.app.request('/openapi.json');
    const doc = (await response.json()) as {
      paths: Record<string, { post?: { parameters?: { name: string; in: string }[] } }>;
    };
    for (const path of ['/v1/payments', '/v1/payments/{id}/refunds']) {
      expect(doc.paths[path]?.post?.parameters).toContainEqual(
        expect.objectContaining({ name: 'x-dry-run', in: 'header' }),
      );
    }
  });
});
