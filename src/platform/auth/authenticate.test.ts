import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import {
  accessClaims,
  hmacToken,
  publicKeyAsSecrets,
  unsignedToken,
} from '../../../test/support/forged-tokens.ts';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError, problemResponse } from '../http/problem.ts';
import { accessTokenIssuer } from './access-token.ts';
import { accessTokenVerifier, type RevocationList } from './access-token-verifier.ts';
import { authenticate, requireRole, requireUser } from './authenticate.ts';
import { generatePrivateJwk } from './jwk.ts';
import { publicKeySource } from './key-source.ts';
import { signingKeySet } from './signing-keys.ts';

function buildApp(middleware = tokens.authenticate) {
  const app = new Hono<AppEnv>();
  app.use(middleware);
  app.get('/public', (c) => c.json({ user: c.var.user ?? null }));
  app.get('/me', requireUser(), (c) => c.json(c.var.user));
  app.get('/admin', requireRole('admin'), (c) => c.text('ok'));
  app.get('/admin-or-customer', requireRole('admin', 'customer'), (c) => c.text('ok'));
  app.get('/.well-known/jwks.json', (c) => c.json({ keys: [] }));
  app.onError((error, c) =>
    error instanceof ProblemError
      ? problemResponse(c, error.problem, error.headers)
      : c.text('boom', 500),
  );
  return app;
}

const tokens = testAccessTokens();
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const statusOf = async (token: string, path = '/me', app = buildApp()) =>
  (await app.request(path, bearer(token))).status;

describe('access tokens at the edge', () => {
  const userId = randomUUID();

  it('lets a valid token through and exposes the principal as c.var.user', async () => {
    const token = await tokens.tokenFor(['customer'], userId);
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      kid: tokens.signingKeys.current.kid,
      typ: 'JWT',
    });
    const res = await buildApp().request('/me', bearer(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: userId, roles: ['customer'] });
  });

  it('answers 401 without a token on protected routes, and serves public ones anonymously', async () => {
    const app = buildApp();
    const res = await app.request('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await (await app.request('/public')).json()).toEqual({ user: null });
  });

  it('answers 401 for an expired token, on public routes too', async () => {
    const { token } = await tokens.issuer.issue(
      { id: userId, roles: ['admin'] },
      Date.now() - 3_600_000,
    );
    expect(await statusOf(token)).toBe(401);
    expect(await statusOf(token, '/public')).toBe(401);
  });

  it('answers 401 for a token signed by any other key, even one under the real kid', async () => {
    const impostor = signingKeySet([
      { ...generatePrivateJwk(), kid: tokens.signingKeys.current.kid },
    ]);
    const stranger = signingKeySet([generatePrivateJwk()]);
    for (const keys of [impostor, stranger]) {
      const issuer = accessTokenIssuer(keys, { issuer: 'commerce', ttlSeconds: 600 });
      const { token } = await issuer.issue({ id: userId, roles: ['admin'] });
      expect(await statusOf(token), keys.current.kid).toBe(401);
    }
  });

  it('answers 401 for alg none and for HMAC with any secret, the public key included', async () => {
    const claims = accessClaims(userId);
    const { kid } = tokens.signingKeys.current;
    const publicJwk = tokens.signingKeys.publicJwks()[0]!;
    const forgeries: Array<[string, string]> = [
      ['alg none', unsignedToken(claims, kid)],
      ['HS256 with a guessed secret', await hmacToken(claims, 'dev-only-secret', { kid })],
      ['HS512 with a guessed secret', await hmacToken(claims, 'dev-only', { alg: 'HS512', kid })],
    ];
    for (const [label, secret] of publicKeyAsSecrets(publicJwk)) {
      forgeries.push([`HS256 keyed with ${label}`, await hmacToken(claims, secret, { kid })]);
    }
    const outcomes = await Promise.all(
      forgeries.map(async ([label, token]) => `${label}: ${await statusOf(token, '/public')}`),
    );
    expect(outcomes).toEqual(forgeries.map(([label]) => `${label}: 401`));
  });

  it('answers 401 for the right key but another issuer, unknown roles, or a service token', async () => {
    const { privateKey, kid } = tokens.signingKeys.current;
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey);
    const claims = accessClaims(userId);
    const cases = {
      otherIssuer: await sign({ ...claims, iss: 'elsewhere' }),
      unknownRole: await sign({ ...claims, roles: ['root'] }),
      serviceToken: await sign({ ...claims, token_use: 'service' }),
      noTokenUse: await sign({ ...claims, token_use: undefined }),
      noMilliseconds: await sign({ ...claims, iat_ms: undefined }),
    };
    // The cases differ from a valid token in one claim each: the same claims as they are pass.
    expect(await statusOf(await sign(claims))).toBe(200);
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, token]) => [name, await statusOf(token)]),
      ),
    );
    expect(statuses).toEqual({
      otherIssuer: 401,
      unknownRole: 401,
      serviceToken: 401,
      noTokenUse: 401,
      noMilliseconds: 401,
    });
  });

  it('answers 401 for garbage, an empty token and another scheme', async () => {
    for (const token of ['garbage', '', 'a.b.c']) {
      expect(await statusOf(token), token).toBe(401);
    }
    const basic = await buildApp().request('/me', { headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);
  });

  it('never checks a token on /.well-known/ (key sets are public)', async () => {
    const res = await buildApp().request('/.well-known/jwks.json', bearer('garbage'));
    expect(res.status).toBe(200);
  });

  it('answers 403 when the role is missing', async () => {
    const token = await tokens.tokenFor(['customer'], userId);
    expect(await statusOf(token, '/admin')).toBe(403);
    expect(await statusOf(await tokens.tokenFor(['admin'], userId), '/admin')).toBe(200);
  });

  it('lets in a holder of any one of several accepted roles', async () => {
    const token = await tokens.tokenFor(['customer'], userId);
    expect(await statusOf(token, '/admin-or-customer')).toBe(200);
    const refused = await buildApp().request('/admin', bearer(token));
    expect(await refused.json()).toMatchObject({
      status: 403,
      detail: 'This needs the admin role.',
    });
  });
});

describe('key rotation', () => {
  it('verifies tokens of both live keys: the one signing now and the one before it', async () => {
    const [previous, next] = [generatePrivateJwk(), generatePrivateJwk()];
    const before = signingKeySet([previous]);
    const during = signingKeySet([next, previous]);
    const verifier = accessTokenVerifier({
      issuer: 'commerce',
      keys: publicKeySource({ jwks: during.publicJwks() }),
    });
    const app = buildApp(authenticate(verifier));
    const settings = { issuer: 'commerce', ttlSeconds: 600 };
    const old = await accessTokenIssuer(before, settings).issue({
      id: randomUUID(),
      roles: ['customer'],
    });
    const fresh = await accessTokenIssuer(during, settings).issue({
      id: randomUUID(),
      roles: ['customer'],
    });
    expect(during.current.kid).toBe(next.kid);
    expect([
      await statusOf(old.token, '/me', app),
      await statusOf(fresh.token, '/me', app),
    ]).toEqual([200, 200]);
    // Once the old key is retired its tokens stop counting.
    const after = accessTokenVerifier({
      issuer: 'commerce',
      keys: publicKeySource({ jwks: signingKeySet([next]).publicJwks() }),
    });
    expect(await statusOf(old.token, '/me', buildApp(authenticate(after)))).toBe(401);
  });
});

describe('revocation', () => {
  it("refuses a user's tokens issued before the revocation instant, and not those after", async () => {
    const userId = randomUUID();
    const other = randomUUID();
    const changedAt = Date.now();
    const revocations: RevocationList = {
      isRevoked: (id, issuedAtMs) => id === userId && issuedAtMs < changedAt,
    };
    const revoking = testAccessTokens({ revocations });
    const verifier = accessTokenVerifier({
      issuer: 'commerce',
      keys: publicKeySource({ jwks: revoking.signingKeys.publicJwks() }),
      revocations,
    });
    const app = buildApp(authenticate(verifier));
    const issue = (id: string, at: number) =>
      revoking.issuer.issue({ id, roles: ['customer'] }, at).then((issued) => issued.token);
    // Same second as the change, a millisecond either side: only the earlier one is void.
    expect({
      before: await statusOf(await issue(userId, changedAt - 1), '/me', app),
      after: await statusOf(await issue(userId, changedAt + 1), '/me', app),
      otherUser: await statusOf(await issue(other, changedAt - 1), '/me', app),
    }).toEqual({ before: 401, after: 200, otherUser: 200 });
  });
});
