import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hmacToken,
  publicKeyAsSecrets,
  unsignedToken,
} from '../../../test/support/forged-tokens.ts';
import { serveApp } from '../../../test/support/serve-app.ts';
import { testServiceCaller } from '../../../test/support/service-credentials.ts';
import { mountOperations } from '../health.ts';
import { mountApiDocs } from '../http/api-docs.ts';
import { createHttpApp } from '../http/create-app.ts';
import type { RunningServer } from '../http/serve.ts';
import { createMetrics } from '../metrics.ts';
import { requireUser } from './authenticate.ts';
import { FORWARDED_USER_HEADER } from './forwarded-user.ts';
import { generatePrivateJwk, type SigningKey, signingKeyOf } from './jwk.ts';
import { jwksRoutes } from './jwks-routes.ts';
import { requireServiceCaller, serviceCallHeaders } from './service-caller.ts';
import { trustedCallersSetting } from './service-credentials-config.ts';
import { serviceTokenSource } from './service-tokens.ts';

describe('a service token source', () => {
  it('caches a token per audience and renews it before it expires (clock injected)', async () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const source = serviceTokenSource({
      component: 'monolith',
      key: signingKeyOf(generatePrivateJwk()),
      now: () => now,
    });
    const claims = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
    const first = await source.tokenFor('payments-service');
    expect(claims(first)).toMatchObject({
      iss: 'monolith',
      sub: 'monolith',
      aud: 'payments-service',
      token_use: 'service',
      iat: now / 1000,
      exp: now / 1000 + 300,
    });
    expect(await source.tokenFor('users-service')).not.toBe(first);

    now += 239_000; // 61 s left: still the cached one
    expect(await source.tokenFor('payments-service')).toBe(first);
    now += 1_000; // 60 s left: renewed, before any call could carry an expired token
    const renewed = await source.tokenFor('payments-service');
    expect(renewed).not.toBe(first);
    expect(claims(renewed)).toMatchObject({ iat: now / 1000, exp: now / 1000 + 300 });
    expect(await source.tokenFor('payments-service')).toBe(renewed);
  });

  it('refuses a lifetime over five minutes', () => {
    const key = signingKeyOf(generatePrivateJwk());
    expect(() => serviceTokenSource({ component: 'monolith', key, ttlSeconds: 301 })).toThrow();
  });
});

/** A caller component, serving its service key where the callee's config says. */
async function callerComponent(component: string) {
  const key = signingKeyOf(generatePrivateJwk());
  let jwksRequests = 0;
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(component),
    bodyLimitBytes: 10_000,
    authenticate: async (_c, next) => next(),
  });
  app.use('/.well-known/*', async (_c, next) => {
    jwksRequests += 1;
    await next();
  });
  app.route(
    '/',
    jwksRoutes({
      path: '/.well-known/service-jwks.json',
      operationId: 'getServiceJwks',
      summary: 'service keys',
      keys: () => [key.publicJwk],
    }),
  );
  const server = await serveApp(app);
  return {
    key,
    server,
    jwksUrl: `${server.url}/.well-known/service-jwks.json`,
    jwksRequests: () => jwksRequests,
    tokens: serviceTokenSource({ component, key }),
  };
}

const AUDIENCE = 'payments-service';
const routes = [
  ['GET', '/v1/payments'],
  ['POST', '/v1/payments'],
  ['GET', `/v1/payments/${randomUUID()}`],
  ['POST', `/v1/payments/${randomUUID()}/refunds`],
] as const;
const openPaths = [
  '/health/live',
  '/health/startup',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/.well-known/service-jwks.json',
  '/',
];

let monolith: Awaited<ReturnType<typeof callerComponent>>;
let intruder: Awaited<ReturnType<typeof callerComponent>>;
let callee: RunningServer;

beforeAll(async () => {
  monolith = await callerComponent('monolith');
  intruder = await callerComponent('intruder');
  // As a service reads it from SERVICE_TRUSTED_CALLERS: the monolith, by its JWKS URL.
  const trustedCallers = trustedCallersSetting.parse(`monolith=${monolith.jwksUrl}`);
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(AUDIENCE),
    bodyLimitBytes: 10_000,
    authenticate: requireServiceCaller({ audience: AUDIENCE, trustedCallers }),
  });
  const whoami = (c: { var: { caller?: string; user?: unknown } }) => ({
    caller: c.var.caller ?? null,
    user: c.var.user ?? null,
  });
  app.get('/v1/payments', (c) => c.json(whoami(c)));
  app.post('/v1/payments', (c) => c.json(whoami(c), 201));
  app.get('/v1/payments/:id', (c) => c.json(whoami(c)));
  app.post('/v1/payments/:id/refunds', (c) => c.json(whoami(c), 201));
  app.get('/v1/me', requireUser(), (c) => c.json(whoami(c)));
  app.get('/', (c) => c.json(whoami(c)));
  app.route(
    '/',
    jwksRoutes({
      path: '/.well-known/service-jwks.json',
      operationId: 'getServiceJwks',
      summary: 'service keys',
      keys: () => [],
    }),
  );
  const metrics = createMetrics('callee');
  mountOperations(app, { started: true, stopping: false, checks: {} }, metrics);
  mountApiDocs(app, { title: 'callee', version: '1', description: 'a callee' });
  callee = await serveApp(app);
});
afterAll(async () => {
  await callee?.close();
  await monolith?.server.close();
  await intruder?.server.close();
});

const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${callee.url}${path}`, {
    method,
    headers: { ...headers, ...(method === 'POST' && { 'content-type': 'application/json' }) },
    body: method === 'POST' ? '{}' : undefined,
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json().catch(() => null)) as Record<string, unknown> | null,
  };
};

/** Each route's status for a call carrying this Authorization header. */
const statusesWith = async (authorization?: string) =>
  Object.fromEntries(
    await Promise.all(
      routes.map(async ([method, path]) => [
        `${method} ${path}`,
        (await call(method, path, authorization ? { authorization } : {})).status,
      ]),
    ),
  );
const every = (status: number) =>
  Object.fromEntries(routes.map(([method, path]) => [`${method} ${path}`, status]));

const signAs = (key: SigningKey, claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
const serviceClaims = (overrides: Record<string, unknown> = {}) => {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: 'monolith',
    sub: 'monolith',
    aud: AUDIENCE,
    iat,
    exp: iat + 300,
    token_use: 'service',
    ...overrides,
  };
};

describe('a service behind requireServiceCaller', () => {
  it("serves a trusted caller on every route, fetching the caller's keys once", async () => {
    const headers = await serviceCallHeaders(monolith.tokens, AUDIENCE);
    const replies = await Promise.all(routes.map(([method, path]) => call(method, path, headers)));
    expect(replies.map((reply) => [reply.status, reply.body])).toEqual(
      routes.map(([method]) => [method === 'POST' ? 201 : 200, { caller: 'monolith', user: null }]),
    );
    await call('GET', '/v1/payments', await serviceCallHeaders(monolith.tokens, AUDIENCE));
    expect(monolith.jwksRequests()).toBe(1);
  });

  it('answers 401 problem+json with a Bearer challenge to a call without a token', async () => {
    expect(await statusesWith()).toEqual(every(401));
    const reply = await call('GET', '/v1/payments');
    expect(reply.type).toBe('application/problem+json');
    expect(reply.challenge).toMatch(/^Bearer realm="payments-service"/);
    expect(reply.body).toMatchObject({
      status: 401,
      type: 'https://commerce.example/errors/service-credentials-invalid',
    });
  });

  it('answers 401 on every route to a forged token (another key under the caller kid)', async () => {
    const forger = { ...signingKeyOf({ ...generatePrivateJwk(), kid: monolith.key.kid }) };
    expect(await statusesWith(`Bearer ${await signAs(forger, serviceClaims())}`)).toEqual(
      every(401),
    );
  });

  it('answers 401 on every route to an expired token', async () => {
    const past = serviceTokenSource({
      component: 'monolith',
      key: monolith.key,
      now: () => Date.now() - 10 * 60_000,
    });
    expect(await statusesWith(`Bearer ${await past.tokenFor(AUDIENCE)}`)).toEqual(every(401));
  });

  it('answers 401 to a caller it does not trust, though its token is well signed', async () => {
    const token = await intruder.tokens.tokenFor(AUDIENCE);
    expect(await statusesWith(`Bearer ${token}`)).toEqual(every(401));
    // Claiming to be the monolith does not help: the signature is the intruder's.
    const posing = await signAs(intruder.key, serviceClaims());
    expect(await statusesWith(`Bearer ${posing}`)).toEqual(every(401));
  });

  it("answers 401 to the caller's key signing what is not a service token, or too long-lived", async () => {
    const tokens = {
      userToken: await signAs(monolith.key, { ...serviceClaims(), token_use: 'access' }),
      noTokenUse: await signAs(monolith.key, { ...serviceClaims(), token_use: undefined }),
      tenMinutes: await signAs(monolith.key, serviceClaims({ exp: serviceClaims().iat + 600 })),
      algNone: unsignedToken(serviceClaims(), monolith.key.kid),
      hmacWithPublicKey: await hmacToken(
        serviceClaims(),
        publicKeyAsSecrets(monolith.key.publicJwk)[0]![1],
        { kid: monolith.key.kid },
      ),
    };
    const outcomes = Object.fromEntries(
      await Promise.all(
        Object.entries(tokens).map(async ([name, token]) => [
          name,
          (await call('GET', '/v1/payments', { authorization: `Bearer ${token}` })).status,
        ]),
      ),
    );
    expect(outcomes).toEqual({
      userToken: 401,
      noTokenUse: 401,
      tenMinutes: 401,
      algNone: 401,
      hmacWithPublicKey: 401,
    });
  });

  it('answers 403 on every route to a valid token meant for another service', async () => {
    const forUsers = await monolith.tokens.tokenFor('users-service');
    expect(await statusesWith(`Bearer ${forUsers}`)).toEqual(every(403));
    const reply = await call('GET', '/v1/payments', { authorization: `Bearer ${forUsers}` });
    expect(reply.body).toMatchObject({
      type: 'https://commerce.example/errors/service-audience-mismatch',
    });
  });

  it('leaves health, metrics, docs, key sets and the index open to anyone', async () => {
    const statuses = await Promise.all(
      openPaths.map(async (path) => `${path} ${(await fetch(`${callee.url}${path}`)).status}`),
    );
    expect(statuses).toEqual(openPaths.map((path) => `${path} 200`));
  });
});

describe('a forwarded end user', () => {
  const user = { id: randomUUID(), roles: ['customer'] as ['customer'] };

  it('becomes c.var.user on a call from a verified caller', async () => {
    const headers = await serviceCallHeaders(monolith.tokens, AUDIENCE, user);
    expect(headers[FORWARDED_USER_HEADER]).toEqual(expect.any(String));
    const reply = await call('GET', '/v1/me', headers);
    expect([reply.status, reply.body]).toEqual([200, { caller: 'monolith', user }]);
  });

  it('is never read from a call whose caller did not verify', async () => {
    const forwarded = (await serviceCallHeaders(monolith.tokens, AUDIENCE, user))[
      FORWARDED_USER_HEADER
    ]!;
    const forUsers = await monolith.tokens.tokenFor('users-service');
    const intruding = await intruder.tokens.tokenFor(AUDIENCE);
    const outcomes = {
      noToken: await call('GET', '/v1/me', { [FORWARDED_USER_HEADER]: forwarded }),
      untrusted: await call('GET', '/v1/me', {
        authorization: `Bearer ${intruding}`,
        [FORWARDED_USER_HEADER]: forwarded,
      }),
      wrongAudience: await call('GET', '/v1/me', {
        authorization: `Bearer ${forUsers}`,
        [FORWARDED_USER_HEADER]: forwarded,
      }),
      // An open path checks no caller, so it takes no user either.
      openPath: await call('GET', '/', { [FORWARDED_USER_HEADER]: forwarded }),
    };
    expect(Object.fromEntries(Object.entries(outcomes).map(([k, v]) => [k, v.status]))).toEqual({
      noToken: 401,
      untrusted: 401,
      wrongAudience: 403,
      openPath: 200,
    });
    expect(outcomes.openPath.body).toEqual({ caller: null, user: null });
  });

  it('that is not a principal is a 400 from a verified caller', async () => {
    const headers = await serviceCallHeaders(monolith.tokens, AUDIENCE);
    const malformed = [
      'not-base64-json',
      Buffer.from(JSON.stringify({ id: 'nope', roles: ['root'] })).toString('base64url'),
    ];
    const statuses = [];
    for (const value of malformed) {
      statuses.push(
        (await call('GET', '/v1/me', { ...headers, [FORWARDED_USER_HEADER]: value })).status,
      );
    }
    expect(statuses).toEqual([400, 400]);
  });
});

describe('a service trusting a caller by local keys (test support for the services)', () => {
  it('gives each credential case the answer every route of a service must give', async () => {
    const caller = testServiceCaller('facade');
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: createMetrics('local-keys'),
      bodyLimitBytes: 10_000,
      authenticate: requireServiceCaller({
        audience: 'users-service',
        trustedCallers: caller.trustedCallers,
      }),
    });
    app.get('/v1/accounts/:id', (c) => c.json({ caller: c.var.caller }));
    const cases = await caller.authorizations('users-service');
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, authorization]) => [
          name,
          (
            await app.request(`/v1/accounts/${randomUUID()}`, {
              headers: authorization ? { authorization } : {},
            })
          ).status,
        ]),
      ),
    );
    expect(statuses).toEqual({
      valid: 200,
      missing: 401,
      forged: 401,
      expired: 401,
      untrusted: 401,
      userToken: 401,
      wrongAudience: 403,
    });
  });
});
