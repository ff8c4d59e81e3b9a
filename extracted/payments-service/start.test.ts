import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentV1 } from '../../src/contracts/payments/v1/index.ts';
import { captureRequest } from '../../test/extracted/payments-service/harness.ts';
import { serveServiceJwks, testServiceCaller } from '../../test/support/service-credentials.ts';
import { loadPaymentsServiceConfig, type PaymentsService, startPaymentsService } from './index.ts';

// The service as `npm run start:payments` runs it with no database server: PGlite under
// <DATA_DIR>/payments-service, over a real socket, trusting the monolith as configured
// (SERVICE_TRUSTED_CALLERS naming where its service keys are published).

let dataDir: string;
let service: PaymentsService;
const monolith = testServiceCaller('monolith');
let jwks: Awaited<ReturnType<typeof serveServiceJwks>>;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'payments-service-'));
  jwks = await serveServiceJwks(monolith);
  const config = loadPaymentsServiceConfig({
    DATA_DIR: dataDir,
    PAYMENTS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    SERVICE_TRUSTED_CALLERS: `monolith=${jwks.url}`,
  });
  service = await startPaymentsService(config, pino({ level: 'silent' }));
});
afterAll(async () => {
  await service?.stop();
  await jwks?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A call as the monolith makes it, with its service token. */
const call = async (path: string, init: RequestInit = {}) =>
  fetch(`${service.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${await monolith.tokens.tokenFor('payments-service')}`,
      ...(init.headers as Record<string, string>),
    },
  });

describe('payments-service on PGlite', () => {
  it('keeps its database in its own directory and is ready', async () => {
    expect(service.database.kind).toBe('pglite');
    expect(await readdir(dataDir)).toContain('payments-service');
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('answers 504 at once to a call whose budget is spent', async () => {
    const response = await call('/v1/payments?order_ref=x', {
      headers: { 'x-request-budget-ms': '0' },
    });
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('documents its API at /openapi.json', async () => {
    const response = await fetch(`${service.url}/openapi.json`);
    const document = (await response.json()) as {
      info: { title: string };
      paths: Record<string, unknown>;
    };
    expect(document.info.title).toBe('payments-service');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/payments', '/v1/payments/{id}', '/v1/payments/{id}/refunds']),
    );
    expect((await fetch(`${service.url}/docs`)).status).toBe(200);
    expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
  });

  it('captures, reads and lists over HTTP', async () => {
    const request = captureRequest();
    // Without a service token, nothing but health, metrics and docs.
    expect((await fetch(`${service.url}/v1/payments`)).status).toBe(401);
    const created = await call('/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'pglite-1' },
      body: JSON.stringify(request),
    });
    expect(created.status).toBe(201);
    const payment = (await created.json()) as PaymentV1;
    const read = await call(`/v1/payments/${payment.id}`);
    expect(await read.json()).toEqual(payment);
    const listed = await call(`/v1/payments?order_ref=${request.order_ref}`);
    expect(await listed.json()).toEqual({ data: [payment], next_cursor: null });
  });
});
