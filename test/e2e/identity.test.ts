import { eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenIssuer } from '../../src/platform/auth/access-token.ts';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';
import { jwksRoutes } from '../../src/platform/auth/jwks-routes.ts';
import { revokedTokens } from '../../src/platform/auth/schema.ts';
import { signingKeySet } from '../../src/platform/auth/signing-keys.ts';
import { serveApp } from '../support/serve-app.ts';
import { eventually } from '../support/services.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { sendRequest } from './send-request.ts';
import { shop } from './shop.ts';

// The monolith as a verifier and as a users side: it signs with the first of its two live keys
// and accepts both, accepts the tokens of another users side whose JWKS it fetches (the
// users-service's, here a stand-in), and refuses a token once its user changed the password.

const [signing, retiring] = [generatePrivateJwk(), generatePrivateJwk()];
const settings = { issuer: 'commerce', ttlSeconds: 600 };
const otherUsersSide = signingKeySet([generatePrivateJwk()]);

let environment: Environment;
let running: Running;
let standIn: Awaited<ReturnType<typeof serveApp>>;
let jwksRequests = 0;

beforeAll(async () => {
  const app = new Hono();
  app.use('/.well-known/*', async (_c, next) => {
    jwksRequests += 1;
    await next();
  });
  app.route(
    '/',
    jwksRoutes({
      path: '/.well-known/jwks.json',
      operationId: 'getUsersJwks',
      summary: 'the stand-in users-service keys',
      keys: () => otherUsersSide.publicJwks(),
    }),
  );
  standIn = await serveApp(app);
  environment = await prepareEnvironment('postgres+redis', 'identity');
  running = await runMonolith(environment, {
    USERS_SIGNING_KEYS: JSON.stringify([signing, retiring]),
    USERS_JWKS_URL: `${standIn.url}/.well-known/jwks.json`,
  });
});
afterAll(async () => {
  await running?.monolith.stop();
  await environment?.cleanup();
  await standIn?.close();
});

const me = (token: string) => running.api.get<{ id: string }>('/api/users/me', token);

describe("the monolith's key sets", () => {
  it('serves the users public keys, cacheable, to anyone: a token sent there is not even read', async () => {
    const reply = await sendRequest(running.monolith.url, {
      method: 'GET',
      target: '/.well-known/jwks.json',
      headers: { authorization: 'Bearer not-a-token' },
      body: undefined,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = JSON.parse(reply.text) as { keys: Array<Record<string, unknown>> };
    expect(keys).toEqual(
      [signing, retiring].map(({ kid, x }) => ({
        kty: 'OKP',
        crv: 'Ed25519',
        x,
        kid,
        alg: 'EdDSA',
        use: 'sig',
      })),
    );
  });

  it('serves its own service key apart, made on its first start under DATA_DIR', async () => {
    const reply = await running.api.get<{ keys: Array<Record<string, unknown>> }>(
      '/.well-known/service-jwks.json',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.keys).toHaveLength(1);
    expect(reply.body.keys[0]).not.toHaveProperty('d');
    expect(reply.body.keys[0]!.kid).not.toBe(signing.kid);
  });
});

describe('tokens the monolith accepts', () => {
  it('takes a token from its own login, signed with the first key and naming it', async () => {
    const customer = await shop(running.api).newCustomer();
    const header = JSON.parse(Buffer.from(customer.token.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'EdDSA', kid: signing.kid });
    expect((await me(customer.token)).body.id).toBe(customer.id);
  });

  it('takes a token of the second live key (a rotation under way)', async () => {
    const customer = await shop(running.api).newCustomer();
    const { token } = await accessTokenIssuer(signingKeySet([retiring]), settings).issue({
      id: customer.id,
      roles: ['customer'],
    });
    expect((await me(token)).status).toBe(200);
  });

  it("takes the other users side's tokens, fetching its JWKS once for many", async () => {
    const customer = await shop(running.api).newCustomer();
    const issuer = accessTokenIssuer(otherUsersSide, settings);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const { token } = await issuer.issue({ id: customer.id, roles: ['customer'] });
      statuses.push((await me(token)).status);
    }
    expect(statuses).toEqual([200, 200, 200]);
    expect(jwksRequests).toBe(1);
  });

  it('refuses a token of any other key, whatever kid it names', async () => {
    const customer = await shop(running.api).newCustomer();
    const statuses = [];
    for (const kid of [signing.kid, retiring.kid, undefined]) {
      const key = kid ? { ...generatePrivateJwk(), kid } : generatePrivateJwk();
      const { token } = await accessTokenIssuer(signingKeySet([key]), settings).issue({
        id: customer.id,
        roles: ['admin'],
      });
      statuses.push((await me(token)).status);
    }
    expect(statuses).toEqual([401, 401, 401]);
  });
});

describe('a password change', () => {
  it('revokes the tokens issued before it, once user.tokens_revoked reached the monolith', async () => {
    const customer = await shop(running.api).newCustomer();
    const changed = await running.api.patch(
      '/api/users/me',
      { password: 'a-brand-new-password', currentPassword: 'shopper-password' },
      customer.token,
    );
    expect(changed.status).toBe(200);
    const { db } = running.monolith.database;
    // Delivered through the outbox and BullMQ to the monolith's revocation list and table.
    const [revocation] = await eventually(async () => {
      const rows = await db
        .select()
        .from(revokedTokens)
        .where(eq(revokedTokens.userId, customer.id));
      expect(rows).toHaveLength(1);
      return rows;
    });
    // The instant the users module recorded with the change is the one every verifier keeps.
    const [account] = (await db.execute(
      sql`select tokens_valid_after from users.accounts where id = ${customer.id}`,
    )) as unknown as Array<{ tokens_valid_after: string | Date }>;
    expect(new Date(account!.tokens_valid_after)).toEqual(revocation!.notBefore);
    await eventually(async () => expect((await me(customer.token)).status).toBe(401));

    const fresh = await running.api.login(customer.username, 'a-brand-new-password');
    expect((await me(fresh)).body.id).toBe(customer.id);
    // A token of the other users side issued before the change is revoked alike.
    const before = await accessTokenIssuer(otherUsersSide, settings).issue(
      { id: customer.id, roles: ['customer'] },
      revocation!.notBefore.getTime() - 1,
    );
    expect((await me(before.token)).status).toBe(401);
    // Another user's tokens are untouched.
    const other = await shop(running.api).newCustomer();
    expect((await me(other.token)).status).toBe(200);
  });
});
