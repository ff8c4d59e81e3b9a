import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentV1, Refund } from '../../src/contracts/payments/v1/index.ts';
import {
  captureRequest,
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../test/extracted/payments-service/harness.ts';
import { createTestProvider } from '../../test/extracted/payments-service/providers.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { idempotencyRecords } from './schema.ts';

// Idempotency-Key on both POSTs, on real PostgreSQL. A slow provider (300 ms) keeps a first
// request in flight while its repeat arrives; the repeat waits at most 100 ms (the setting).

const slow = createTestProvider({ latencyMs: 300 });
let harness: PaymentsServiceHarness;
beforeAll(async () => {
  harness = await startPaymentsServiceOnPostgres(
    'payments-service-idempotency',
    { provider: slow.provider },
    { PAYMENTS_SERVICE_IDEMPOTENCY_WAIT_MS: '100' },
  );
});
afterAll(async () => {
  await harness.stop();
});

const post = (path: string, key: string, body: unknown) =>
  harness.send('POST', path, { body, headers: { 'Idempotency-Key': key } });

describe('Idempotency-Key on POST /v1/payments', () => {
  it('same key, same body: the first answer again (status and body), marked replayed, charged once', async () => {
    const request = captureRequest();
    const first = await post('/v1/payments', 'capture-1', request);
    expect(first.status).toBe(201);
    const body = await first.text();
    // The same body with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(request).reverse());
    const again = await post('/v1/payments', 'capture-1', reordered);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    // A replay is an answer of its own: it carries its own request id, not the first one's.
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(slow.charges.filter((ref) => ref === request.order_ref)).toHaveLength(1);
  });

  it('replays a refusal too: the same 409 for the same request under the same key', async () => {
    const request = captureRequest();
    await post('/v1/payments', 'first-capture', request);
    const clash = { ...request, amount: { amount_minor: 9900, currency: 'EUR' } };
    const refused = await expectProblem(await post('/v1/payments', 'clash', clash), 409);
    const replayed = await post('/v1/payments', 'clash', clash);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await expectProblem(replayed, 409)).toEqual(refused);
  });

  it('same key, another body: 422 idempotency-key-reused, nothing charged for it', async () => {
    const request = captureRequest();
    await post('/v1/payments', 'reused', request);
    const other = captureRequest();
    const problem = await expectProblem(await post('/v1/payments', 'reused', other), 422);
    expect(problem.type).toBe('https://commerce.example/errors/idempotency-key-reused');
    expect(await harness.rowsFor(other.order_ref)).toEqual([]);
    expect(slow.charges).not.toContain(other.order_ref);
  });

  it('a request still in flight under the key: 409 idempotency-key-in-use; once done, the replay', async () => {
    const request = captureRequest();
    const first = post('/v1/payments', 'in-flight', request);
    // The first has claimed the key once its authorized row is there (it is at the provider).
    await expect.poll(() => harness.rowsFor(request.order_ref)).toHaveLength(1);
    const meanwhile = await post('/v1/payments', 'in-flight', request);
    const problem = await expectProblem(meanwhile, 409);
    expect(problem.type).toBe('https://commerce.example/errors/idempotency-key-in-use');
    expect(meanwhile.headers.get('retry-after')).toBe('1');
    const answered = await first;
    expect(answered.status).toBe(201);
    const later = await post('/v1/payments', 'in-flight', request);
    expect(await later.text()).toBe(await answered.text());
  });

  it('keys of different callers never meet: the same key from an admin is a new request', async () => {
    const request = captureRequest();
    await post('/v1/payments', 'shared-key', request);
    const admin = await harness.tokenFor(['admin']);
    const other = captureRequest();
    const response = await harness.send('POST', '/v1/payments', {
      token: admin,
      body: other,
      headers: { 'Idempotency-Key': 'shared-key' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps no answer of 500 and above: a retry after a provider outage runs again', async () => {
    const request = captureRequest({ source: { type: 'card', token: 'tok_error' } });
    await expectProblem(await post('/v1/payments', 'outage', request), 503);
    const retry = await post('/v1/payments', 'outage', request);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(slow.charges.filter((ref) => ref === request.order_ref)).toHaveLength(2);
  });
});

describe('Idempotency-Key on POST /v1/payments/{id}/refunds', () => {
  it('replays the refund (201) and refuses the key for another reason (422)', async () => {
    const payment = (await (
      await post('/v1/payments', 'to-refund', captureRequest())
    ).json()) as PaymentV1;
    const path = `/v1/payments/${payment.id}/refunds`;
    const first = await post(path, 'refund-1', { reason: 'customer cancelled' });
    expect(first.status).toBe(201);
    const refund = (await first.json()) as Refund;
    const again = await post(path, 'refund-1', { reason: 'customer cancelled' });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(refund);
    const reused = await post(path, 'refund-1', { reason: 'another reason' });
    expect((await expectProblem(reused, 422)).type).toBe(
      'https://commerce.example/errors/idempotency-key-reused',
    );
  });
});

describe('retention', () => {
  it('prunes answered records older than the window, and keeps newer ones', async () => {
    const [module] = harness.service.parts.modules;
    const before = await harness.service.database.db
      .select({ n: count() })
      .from(idempotencyRecords);
    expect(before[0]?.n).toBeGreaterThan(0);
    expect(await module?.prune?.(60_000, 1_000)).toBe(0);
    expect(await module?.prune?.(0, 1_000)).toBe(before[0]?.n);
  });
});
