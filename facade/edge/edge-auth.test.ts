import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import { jwksRoutes } from '../../src/platform/auth/jwks-routes.ts';
import { createEventBus, type EventBus } from '../../src/platform/bus/event-bus.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import type { RunningServer } from '../../src/platform/http/serve.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import type { Module } from '../../src/platform/module.ts';
import { testAccessTokens } from '../../test/support/access-tokens.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { serveApp } from '../../test/support/serve-app.ts';
import { eventually, openMigratedTestDatabase } from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { edgeAuth, edgeTokenCheck } from './edge-auth.ts';
import { isPublicRequest } from './public-routes.ts';

const logger = pino({ level: 'silent' });
const tokens = testAccessTokens();
let db: Database;
let bus: EventBus;
let jwks: RunningServer;
let revocations: Module;
let cleanup: () => Promise<void>;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  const test = await openMigratedTestDatabase('edge_auth', FACADE_MIGRATIONS);
  db = test.handle.db;
  cleanup = test.cleanup;
  bus = createEventBus({ db, logger, maxAttempts: 3, retryBaseMs: 10, pollIntervalMs: 20 });
  // The users side's JWKS over a real socket: the facade knows it only by USERS_JWKS_URL.
  const keys = new Hono().route(
    '/',
    jwksRoutes({
      path: '/.well-known/jwks.json',
      operationId: 'getUsersJwks',
      summary: 'keys',
      keys: () => tokens.signingKeys.publicJwks(),
    }),
  );
  jwks = await serveApp(keys);
  const check = edgeTokenCheck({
    config: { JWT_ISSUER: 'commerce', USERS_JWKS_URL: `${jwks.url}/.well-known/jwks.json` },
    db,
    logger,
    refreshIntervalMs: 50,
  });
  revocations = check.revocations;
  bus.subscribe(...(revocations.subscriptions ?? []));
  await revocations.start?.();
  await bus.start();
  app = createHttpApp({
    logger,
    metrics: createMetrics('edge_auth_test'),
    bodyLimitBytes: 10_000,
    authenticate: edgeAuth(check.verifier),
  });
  // Stands in for the proxy: says whom the edge let through.
  app.all('*', (c) => c.json({ user: c.var.user ?? null }));
});
afterAll(async () => {
  await revocations.stop?.();
  await bus.stop();
  await jwks.close();
  await cleanup();
});

const send = (method: string, path: string, token?: string, headers: Record<string, string> = {}) =>
  app.request(path, {
    method,
    headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers },
  });

describe('the edge token check', () => {
  it('refuses a private route without a token: 401 problem with the Bearer challenge', async () => {
    const response = await send('GET', '/api/orders');
    await expectProblem(response, 401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await expectProblem(await send('POST', '/api/products'), 401);
    await expectProblem(await send('GET', '/api/cart'), 401);
    await expectProblem(await send('GET', '/_facade/api/routes'), 401);
    // A path no route names still belongs to the monolith, and is not open for that.
    await expectProblem(await send('GET', '/api/somewhere-new'), 401);
  });

  it('lets anonymous callers through on public routes', async () => {
    for (const [method, path] of [
      ['POST', '/api/users'],
      ['POST', '/api/auth/login'],
      ['GET', '/api/products'],
      ['GET', `/api/products/${randomUUID()}`],
      ['GET', `/api/products/${randomUUID()}/stock`],
      ['HEAD', '/api/products'],
      ['GET', '/health/ready'],
      ['GET', '/metrics'],
      ['GET', '/docs'],
      ['GET', '/_facade'],
      ['GET', '/_facade/app.js'],
      ['GET', '/.well-known/jwks.json'],
      ['GET', '/'],
    ] as const) {
      const response = await send(method, path);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 200 });
    }
    // A CORS preflight carries no credentials, by the Fetch standard.
    const preflight = await send('OPTIONS', '/api/orders', undefined, {
      origin: 'https://shop.example',
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(200);
  });

  it('sets the user from a valid token, on private and public routes alike', async () => {
    const userId = randomUUID();
    const token = await tokens.tokenFor(['customer'], userId);
    for (const path of ['/api/orders', '/api/products']) {
      const response = await send('GET', path, token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ user: { id: userId, roles: ['customer'] } });
    }
  });

  it('refuses a bad token even on a public route', async () => {
    await expectProblem(await send('GET', '/api/products', 'not-a-jwt'), 401);
    const foreign = await testAccessTokens().tokenFor(['admin']);
    await expectProblem(await send('GET', '/api/orders', foreign), 401);
  });

  it("refuses a user's older tokens once the revocation event is handled", async () => {
    const userId = randomUUID();
    const token = await tokens.tokenFor(['customer'], userId);
    expect((await send('GET', '/api/orders', token)).status).toBe(200);

    await db.transaction((tx) =>
      bus.publish(tx, userTokensRevoked, { userId, notBefore: new Date().toISOString() }),
    );

    await eventually(async () => expectProblem(await send('GET', '/api/orders', token), 401));
    await expectProblem(await send('GET', '/api/products', token), 401);
    // A token issued after the revocation is good.
    const fresh = await tokens.tokenFor(['customer'], userId);
    expect((await send('GET', '/api/orders', fresh)).status).toBe(200);
  });
});

describe('isPublicRequest', () => {
  it('opens only the listed methods: writes to the catalog and the admin API stay private', () => {
    expect(isPublicRequest('GET', '/api/products/x')).toBe(true);
    expect(isPublicRequest('PATCH', '/api/products/x')).toBe(false);
    expect(isPublicRequest('DELETE', '/api/products/x')).toBe(false);
    expect(isPublicRequest('GET', '/api/users')).toBe(false);
    expect(isPublicRequest('GET', '/api/users/me')).toBe(false);
    expect(isPublicRequest('POST', '/api/auth/login/extra')).toBe(false);
    expect(isPublicRequest('GET', '/_facade/api')).toBe(false);
    expect(isPublicRequest('POST', '/_facade')).toBe(false);
    expect(isPublicRequest('GET', '/api/productsx')).toBe(false);
  });
});
