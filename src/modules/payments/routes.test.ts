import { randomUUID } from 'node:crypto';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingProvider } from '../../../test/modules/payments/recording-provider.ts';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { expectProblem } from '../../../test/support/problem.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Payment } from './contracts.ts';
import { createPaymentsModule, type PaymentsApi } from './index.ts';
import { paymentRecords } from './schema.ts';

let db: Database;
let harness: ModuleHarness;
let cleanup: () => Promise<void>;
let charges: ReturnType<typeof createRecordingProvider>['charges'];
let payments: PaymentsApi;
const customerId = randomUUID();
const adminId = randomUUID();
let customerToken: string;
let otherCustomerToken: string;
let adminToken: string;
let otherAdminToken: string;
let expiredToken: string;
let forgedToken: string;

beforeAll(async () => {
  harness = await openModuleHarness('payments-routes');
  ({ db, cleanup } = harness);
  const recording = createRecordingProvider();
  charges = recording.charges;
  const module = createPaymentsModule(harness.context, { provider: recording.provider });
  harness.mount(module);
  payments = module.api;
  customerToken = await harness.tokenFor(['customer'], customerId);
  otherCustomerToken = await harness.tokenFor(['customer']);
  adminToken = await harness.tokenFor(['admin'], adminId);
  otherAdminToken = await harness.tokenFor(['admin']);
  expiredToken = await harness.expiredTokenFor(['customer'], customerId);
  forgedToken = await harness.forgedTokenFor(['customer'], customerId);
});
afterAll(async () => {
  await cleanup();
});

const send = (method: string, path: string, token: string | undefined, body?: unknown) =>
  harness.send(method, path, { token, body });

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const paymentCount = async () => (await db.select({ n: count() }).from(paymentRecords))[0]?.n;

async function capture(body: Record<string, unknown>, token = adminToken): Promise<Payment> {
  const response = await send('POST', '/api/payments', token, body);
  expect(response.status).toBe(201);
  return (await response.json()) as Payment;
}

/** A customer's payment, captured the way checkout does it: through the module's API. */
const customersPayment = (amountMinor: number) =>
  payments.capture({ orderId: randomUUID(), amount: eur(amountMinor), userId: customerId });

describe('POST /api/payments', () => {
  it('captures for an admin and answers 201 with the payment', async () => {
    const orderId = randomUUID();
    const payment = await capture({ orderId, amount: eur(1999), cardToken: 'tok_visa' });
    expect(payment).toMatchObject({
      orderId,
      userId: adminId,
      status: 'captured',
      amount: eur(1999),
    });
  });

  it('answers 201 with a failed payment for a decline', async () => {
    const payment = await capture({ orderId: randomUUID(), amount: eur(2013) });
    expect(payment).toMatchObject({ status: 'failed', failureReason: 'insufficient funds' });
    const declined = await capture({
      orderId: randomUUID(),
      amount: eur(500),
      cardToken: 'tok_decline',
    });
    expect(declined).toMatchObject({ status: 'failed', failureReason: 'card declined' });
  });

  it('replays a capture of the same order without charging again', async () => {
    const body = { orderId: randomUUID(), amount: eur(700) };
    const before = charges.length;
    const first = await capture(body);
    expect(await capture(body)).toEqual(first);
    expect(charges.length).toBe(before + 1);
  });

  it("refuses another admin's capture of an order already paid (409), charging nothing", async () => {
    const body = { orderId: randomUUID(), amount: eur(700) };
    await capture(body);
    const before = charges.length;
    await expectProblem(await send('POST', '/api/payments', otherAdminToken, body), 409);
    expect(charges.length).toBe(before);
  });

  it('answers 503 with Retry-After when the provider is down, and records nothing', async () => {
    const before = await paymentCount();
    const response = await send('POST', '/api/payments', adminToken, {
      orderId: randomUUID(),
      amount: eur(500),
      cardToken: 'tok_error',
    });
    await expectProblem(response, 503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await paymentCount()).toBe(before);
  });

  it.each([
    [
      'a float amount',
      { orderId: randomUUID(), amount: { amountMinor: 19.99, currency: 'EUR' } },
      'json.amount.amountMinor',
    ],
    [
      'an amount as a string',
      { orderId: randomUUID(), amount: { amountMinor: '1999', currency: 'EUR' } },
      'json.amount.amountMinor',
    ],
    ['a zero amount', { orderId: randomUUID(), amount: eur(0) }, 'json.amount.amountMinor'],
    ['a negative amount', { orderId: randomUUID(), amount: eur(-5) }, 'json.amount.amountMinor'],
    [
      'an amount too large',
      { orderId: randomUUID(), amount: eur(2 ** 31) },
      'json.amount.amountMinor',
    ],
    [
      'a bad currency',
      { orderId: randomUUID(), amount: { amountMinor: 100, currency: 'euro' } },
      'json.amount.currency',
    ],
    ['no amount', { orderId: randomUUID() }, 'json.amount'],
    ['an order id that is not a uuid', { orderId: '42', amount: eur(100) }, 'json.orderId'],
    [
      'an empty card token',
      { orderId: randomUUID(), amount: eur(100), cardToken: '' },
      'json.cardToken',
    ],
    [
      'a card token of the wrong type',
      { orderId: randomUUID(), amount: eur(100), cardToken: 42 },
      'json.cardToken',
    ],
  ])('rejects %s with a 400 naming the field, writing nothing', async (_, body, path) => {
    const before = await paymentCount();
    const problem = await expectProblem(await send('POST', '/api/payments', adminToken, body), 400);
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(await paymentCount()).toBe(before);
  });

  it('rejects a body that is not JSON with a 400', async () => {
    const before = await paymentCount();
    await expectProblem(await send('POST', '/api/payments', adminToken, '{"orderId":'), 400);
    expect(await paymentCount()).toBe(before);
  });
});

describe('GET /api/payments/{id}', () => {
  it('shows a payment to its owner and to an admin, and hides it from others (404)', async () => {
    const payment = await customersPayment(1200);
    const path = `/api/payments/${payment.id}`;
    const own = await send('GET', path, customerToken);
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual(payment);
    expect((await send('GET', path, adminToken)).status).toBe(200);
    await expectProblem(await send('GET', path, otherCustomerToken), 404);
  });

  it('answers 404 for an unknown payment and 400 for an id that is not a uuid', async () => {
    await expectProblem(await send('GET', `/api/payments/${randomUUID()}`, adminToken), 404);
    await expectProblem(await send('GET', '/api/payments/nope', adminToken), 400);
  });
});

describe('POST /api/payments/{id}/refund', () => {
  it('refunds for an admin, idempotently', async () => {
    const payment = await capture({ orderId: randomUUID(), amount: eur(1500) });
    const path = `/api/payments/${payment.id}/refund`;
    const first = await send('POST', path, adminToken, { reason: 'damaged in transit' });
    expect(first.status).toBe(200);
    const refunded = (await first.json()) as Payment;
    expect(refunded).toMatchObject({ id: payment.id, status: 'refunded' });
    const second = await send('POST', path, adminToken, { reason: 'clicked twice' });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(refunded);
  });

  it('answers 409 for a failed payment and 404 for an unknown one', async () => {
    const failed = await capture({ orderId: randomUUID(), amount: eur(1013) });
    const body = { reason: 'test' };
    await expectProblem(
      await send('POST', `/api/payments/${failed.id}/refund`, adminToken, body),
      409,
    );
    await expectProblem(
      await send('POST', `/api/payments/${randomUUID()}/refund`, adminToken, body),
      404,
    );
  });

  it('rejects a missing or empty reason with a 400 and leaves the payment captured', async () => {
    const payment = await capture({ orderId: randomUUID(), amount: eur(1600) });
    const path = `/api/payments/${payment.id}/refund`;
    for (const body of [{}, { reason: '   ' }, { reason: 5 }]) {
      await expectProblem(await send('POST', path, adminToken, body), 400);
    }
    const after = (await (
      await send('GET', `/api/payments/${payment.id}`, adminToken)
    ).json()) as Payment;
    expect(after.status).toBe('captured');
  });
});

describe('auth', () => {
  const routes = () => {
    const id = randomUUID();
    return [
      ['POST', '/api/payments', { orderId: randomUUID(), amount: eur(100) }],
      ['GET', `/api/payments/${id}`, undefined],
      ['POST', `/api/payments/${id}/refund`, { reason: 'x' }],
    ] as const;
  };

  it.each([
    ['no token', () => undefined],
    ['an expired token', () => expiredToken],
    ['a forged token', () => forgedToken],
  ])('answers 401 to %s on every route, writing nothing', async (_, token) => {
    const before = await paymentCount();
    for (const [method, path, body] of routes()) {
      const response = await send(method, path, token(), body);
      await expectProblem(response, 401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(await paymentCount()).toBe(before);
  });

  it('answers 403 to a customer capturing, for a new order or one already paid, recording nothing', async () => {
    const paid = await customersPayment(1800);
    const before = { rows: await paymentCount(), charges: charges.length };
    const answers = [];
    for (const orderId of [randomUUID(), paid.orderId]) {
      const response = await send('POST', '/api/payments', customerToken, {
        orderId,
        amount: eur(2_147_483_647),
      });
      const problem = await expectProblem(response, 403);
      answers.push(problem);
    }
    // The same answer either way: a refusal tells nothing about which orders have a payment.
    expect(answers[1]).toEqual(answers[0]);
    expect({ rows: await paymentCount(), charges: charges.length }).toEqual(before);
  });

  it('answers 403 to a customer refunding, even their own payment', async () => {
    const payment = await customersPayment(1700);
    const response = await send('POST', `/api/payments/${payment.id}/refund`, customerToken, {
      reason: 'I want my money back',
    });
    await expectProblem(response, 403);
    const after = (await (
      await send('GET', `/api/payments/${payment.id}`, customerToken)
    ).json()) as Payment;
    expect(after.status).toBe('captured');
  });
});

describe('GET /api/payments', () => {
  type Page = { items: Payment[]; page: number; pageSize: number; total: number };
  const list = async (query: string, token: string): Promise<Page> => {
    const response = await send('GET', `/api/payments${query}`, token);
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  };

  it("lists a customer's own payments only, newest first, in pages", async () => {
    const listed = await list('?pageSize=100', customerToken);
    expect(listed.items.length).toBeGreaterThan(0);
    expect(new Set(listed.items.map((payment) => payment.userId))).toEqual(new Set([customerId]));
    const times = listed.items.map((payment) => payment.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const firstPage = await list('?page=1&pageSize=1', customerToken);
    const secondPage = await list('?page=2&pageSize=1', customerToken);
    expect(firstPage).toMatchObject({ page: 1, pageSize: 1, total: listed.total });
    expect([...firstPage.items, ...secondPage.items]).toEqual(listed.items.slice(0, 2));
  });

  it('finds the payment of one order (orderId), and nothing of an order not yours', async () => {
    const payment = await customersPayment(4100);
    expect(await list(`?orderId=${payment.orderId}`, customerToken)).toEqual({
      items: [payment],
      page: 1,
      pageSize: 20,
      total: 1,
    });
    expect(await list(`?orderId=${payment.orderId}`, otherCustomerToken)).toMatchObject({
      items: [],
      total: 0,
    });
  });

  it("lets an admin list everyone's, or one user's with userId; a customer asking for another's is refused (403)", async () => {
    const all = await list('?pageSize=100', adminToken);
    expect(new Set(all.items.map((payment) => payment.userId)).size).toBeGreaterThan(1);
    const ones = await list(`?userId=${customerId}&pageSize=100`, adminToken);
    expect(new Set(ones.items.map((payment) => payment.userId))).toEqual(new Set([customerId]));
    await expectProblem(await send('GET', `/api/payments?userId=${adminId}`, customerToken), 403);
    expect((await list(`?userId=${customerId}`, customerToken)).items.length).toBeGreaterThan(0);
  });

  it('answers 401 without a token and 400 for a bad query', async () => {
    await expectProblem(await send('GET', '/api/payments', undefined), 401);
    for (const query of ['?page=0', '?pageSize=101', '?orderId=x', '?userId=y']) {
      await expectProblem(await send('GET', `/api/payments${query}`, adminToken), 400);
    }
  });
});
