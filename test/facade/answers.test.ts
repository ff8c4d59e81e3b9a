import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFacadeComponent, loadFacadeConfig } from '../../facade/index.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../src/platform/component/start-component.ts';
import { DOCS_CONTENT_SECURITY_POLICY } from '../../src/platform/http/api-docs.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from '../support/access-tokens.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { serveApp } from '../support/serve-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';

// What a client gets from the facade for a forwarded request (public catalog paths no route
// entry names, so they go to legacy as they are), over the network and from an app
// in this process (whose answer is passed on unread): the upstream's status, body and headers,
// each value of a repeated one, and the edge's own headers (secure headers, rate limits, the
// request id) where the answer has none of its own. Then the facade's own answers (problems,
// its admin API, its docs page), which Hono builds: the edge's headers go on them once they are
// built, where they have none of their own.

const tokens = testAccessTokens();
let jwks: Awaited<ReturnType<typeof serveApp>>;
let upstream: RecordingServer;
let database: TestDatabase;
let dataDir: string;
const facades: RunningComponent[] = [];

/** A small app on the platform's kernel, as the monolith is. */
function legacyApp() {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('legacy-test'),
    bodyLimitBytes: 10_000,
    authenticate: tokens.authenticate,
  });
  app.get('/api/products/answers/in-process', (c) => {
    c.header('set-cookie', 'a=1', { append: true });
    c.header('set-cookie', 'b=2', { append: true });
    c.header('x-frame-options', 'DENY');
    return c.json({ served: 'in-process', requestId: c.var.requestId });
  });
  return app;
}

async function startFacade(legacy?: Pick<Hono, 'fetch'>) {
  const facade = await startComponent(
    createFacadeComponent(legacy ? { legacyApp: legacy } : {}),
    loadFacadeConfig({
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      FACADE_PORT: '0',
      FACADE_DATABASE_URL: database.url,
      FACADE_MONOLITH_URLS: upstream.url,
      FACADE_USERS_JWKS_URL: `${jwks.url}/.well-known/jwks.json`,
      RATE_LIMIT_PER_MINUTE: '50',
      // Cached catalog reads are read to be kept: here the answer only goes on to the client.
      CATALOG_CACHE_TTL_MS: '0',
    }),
    pino({ level: 'silent' }),
  );
  facades.push(facade);
  return facade;
}

beforeAll(async () => {
  jwks = await serveApp(
    new Hono().get('/.well-known/jwks.json', (c) =>
      c.json({ keys: tokens.signingKeys.publicJwks() }),
    ),
  );
  upstream = await startRecordingServer((_, response) => {
    response.statusCode = 202;
    response.setHeader('content-type', 'application/json');
    response.setHeader('set-cookie', ['a=1', 'b=2']);
    response.setHeader('x-frame-options', 'DENY');
    response.end(JSON.stringify({ served: 'network' }));
  });
  database = await createTestDatabase('facade_answers');
  dataDir = await mkdtemp(join(tmpdir(), 'facade-answers-'));
});
afterAll(async () => {
  for (const facade of facades) await facade.stop();
  await upstream?.close();
  await jwks?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The API's own Content-Security-Policy, which the edge sets where an answer has none. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The headers a client sees that the edge is responsible for. */
const edgeHeaders = (response: Response) => ({
  requestId: response.headers.get('x-request-id'),
  rateLimit: response.headers.get('ratelimit'),
  rateLimitPolicy: response.headers.get('ratelimit-policy'),
  csp: response.headers.get('content-security-policy'),
  nosniff: response.headers.get('x-content-type-options'),
});

/** The edge's headers on the first answer to a client (of 50 a minute), with its request id. */
const edgeHeadersFor = (requestId: string) => ({
  requestId,
  rateLimit: expect.stringMatching(/^"default";r=49;t=\d+$/),
  rateLimitPolicy: '"default";q=50;w=60',
  csp: API_CSP,
  nosniff: 'nosniff',
});

describe("the facade's answer to a forwarded request", () => {
  it('over the network: the upstream answer, every cookie, and the edge headers it lacks', async () => {
    const facade = await startFacade();
    const response = await fetch(`${facade.url}/api/products/answers/network`, {
      headers: { 'x-request-id': 'answers-network-1' },
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ served: 'network' });
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    // The upstream's own header wins over the edge's secure default.
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(edgeHeaders(response)).toEqual(edgeHeadersFor('answers-network-1'));
    expect(upstream.seen.at(-1)?.headers['x-request-id']).toBe('answers-network-1');
  });

  it('from an app in this process: its answer as is, with the rate limits and the request id', async () => {
    const facade = await startFacade(legacyApp());
    const response = await fetch(`${facade.url}/api/products/answers/in-process`, {
      headers: { 'x-request-id': 'answers-in-process-1' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      served: 'in-process',
      requestId: 'answers-in-process-1',
    });
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(edgeHeaders(response)).toEqual(edgeHeadersFor('answers-in-process-1'));
  });
});

describe("the facade's own answers", () => {
  /** The request id and the secure headers: what every answer of the facade carries. */
  const kernelHeaders = (response: Response) => ({
    requestId: response.headers.get('x-request-id'),
    csp: response.headers.get('content-security-policy'),
    nosniff: response.headers.get('x-content-type-options'),
    frameOptions: response.headers.get('x-frame-options'),
  });
  const kernelHeadersFor = (requestId: string, csp = API_CSP) => ({
    requestId,
    csp,
    nosniff: 'nosniff',
    frameOptions: 'SAMEORIGIN',
  });
  let facade: RunningComponent;
  beforeAll(async () => {
    facade = await startFacade();
  });
  const get = (path: string, requestId: string) =>
    fetch(`${facade.url}${path}`, { headers: { 'x-request-id': requestId } });

  it('a problem: 405 for a known path and the wrong method, with its Allow and the rate limits', async () => {
    const response = await fetch(`${facade.url}/api/payments`, {
      method: 'DELETE',
      headers: {
        'x-request-id': 'own-405',
        authorization: `Bearer ${await tokens.tokenFor(['customer'])}`,
      },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toContain('GET');
    expect(kernelHeaders(response)).toEqual(kernelHeadersFor('own-405'));
    expect(response.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
    expect(upstream.seen.some((seen) => seen.headers['x-request-id'] === 'own-405')).toBe(false);
  });

  it('the admin API refusing a caller without a token', async () => {
    const response = await get('/_facade/api/routes', 'own-401');
    expect(response.status).toBe(401);
    expect(kernelHeaders(response)).toEqual(kernelHeadersFor('own-401'));
  });

  it('a health check (no rate limit)', async () => {
    const response = await get('/health/live', 'own-health');
    expect(response.status).toBe(200);
    expect(kernelHeaders(response)).toEqual(kernelHeadersFor('own-health'));
    expect(response.headers.get('ratelimit')).toBeNull();
  });

  it("the docs page, whose own Content-Security-Policy wins over the edge's", async () => {
    const response = await get('/docs', 'own-docs');
    expect(response.status).toBe(200);
    expect(kernelHeaders(response)).toEqual(
      kernelHeadersFor('own-docs', DOCS_CONTENT_SECURITY_POLICY),
    );
  });
});
