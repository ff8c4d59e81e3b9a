import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { serveApp } from '../../../test/support/serve-app.ts';
import { accessTokenIssuer } from './access-token.ts';
import { accessTokenVerifier } from './access-token-verifier.ts';
import { generatePrivateJwk } from './jwk.ts';
import { jwksRoutes } from './jwks-routes.ts';
import { type KeySourceOptions, publicKeySource } from './key-source.ts';
import { type SigningKeySet, signingKeySet } from './signing-keys.ts';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A users side serving its JWKS over HTTP, counting the requests for it. */
async function usersSide(initial: SigningKeySet) {
  let keys = initial;
  let requests = 0;
  const app = new Hono();
  app.use('/.well-known/*', async (_c, next) => {
    requests += 1;
    await next();
  });
  app.route(
    '/',
    jwksRoutes({
      path: '/.well-known/jwks.json',
      operationId: 'getJwks',
      summary: 'keys',
      keys: () => keys.publicJwks(),
    }),
  );
  const server = await serveApp(app);
  // Tolerant: a test may have closed it already.
  closers.push(() => server.close().catch(() => {}));
  return {
    server,
    url: `${server.url}/.well-known/jwks.json`,
    requests: () => requests,
    rotate(next: SigningKeySet) {
      keys = next;
    },
    token: (set = keys) =>
      accessTokenIssuer(set, { issuer: 'commerce', ttlSeconds: 600 })
        .issue({ id: randomUUID(), roles: ['customer'] })
        .then((issued) => issued.token),
  };
}

const verifierOf = (options: KeySourceOptions) =>
  accessTokenVerifier({ issuer: 'commerce', keys: publicKeySource(options) });

describe('a verifier over a JWKS URL', () => {
  it('fetches the key set over HTTP once and verifies many tokens from the cache', async () => {
    const side = await usersSide(signingKeySet([generatePrivateJwk()]));
    const verifier = verifierOf({ url: side.url });
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push((await verifier.verify(await side.token())).ok);
    expect(outcomes).toEqual([true, true, true, true, true]);
    expect(side.requests()).toBe(1);
  });

  it('does not fetch again for unknown kids within the cooldown (forgeries cost no requests)', async () => {
    const side = await usersSide(signingKeySet([generatePrivateJwk()]));
    const verifier = verifierOf({ url: side.url });
    expect((await verifier.verify(await side.token())).ok).toBe(true);
    const stranger = signingKeySet([generatePrivateJwk()]);
    const forged = [];
    for (let i = 0; i < 5; i += 1)
      forged.push((await verifier.verify(await side.token(stranger))).ok);
    expect(forged).toEqual([false, false, false, false, false]);
    expect(side.requests()).toBe(1);
  });

  it('picks up a key added by a rotation once the cooldown is over, and keeps the old one', async () => {
    const previous = generatePrivateJwk();
    const side = await usersSide(signingKeySet([previous]));
    const verifier = verifierOf({ url: side.url, remote: { cooldownMs: 0 } });
    const old = await side.token();
    expect((await verifier.verify(old)).ok).toBe(true);
    side.rotate(signingKeySet([generatePrivateJwk(), previous]));
    const fresh = await side.token();
    expect([(await verifier.verify(fresh)).ok, (await verifier.verify(old)).ok]).toEqual([
      true,
      true,
    ]);
    expect(side.requests()).toBe(2);
  });

  it('keeps verifying with the keys last fetched while the endpoint is down', async () => {
    const side = await usersSide(signingKeySet([generatePrivateJwk()]));
    const verifier = verifierOf({ url: side.url, remote: { cacheMaxAgeMs: 0, timeoutMs: 500 } });
    const token = await side.token();
    expect((await verifier.verify(token)).ok).toBe(true);
    await side.server.close();
    expect((await verifier.verify(token)).ok).toBe(true);
  });

  it('gives up on an endpoint that never answers, as unavailable rather than forged', async () => {
    // Accepts connections and never answers: only the timeout ends the wait.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as net.AddressInfo;
    const verifier = verifierOf({
      url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      remote: { timeoutMs: 200 },
    });
    const keys = signingKeySet([generatePrivateJwk()]);
    const token = (
      await accessTokenIssuer(keys, { issuer: 'commerce', ttlSeconds: 60 }).issue({
        id: randomUUID(),
        roles: ['customer'],
      })
    ).token;
    expect(await verifier.verify(token)).toMatchObject({ ok: false, unavailable: true });
  });

  it('tries its local keys first, then the URL: tokens of both users sides verify', async () => {
    const remoteSide = await usersSide(signingKeySet([generatePrivateJwk()]));
    const local = signingKeySet([generatePrivateJwk()]);
    const verifier = verifierOf({ jwks: local.publicJwks(), url: remoteSide.url });
    const localToken = await remoteSide.token(local);
    expect((await verifier.verify(localToken)).ok).toBe(true);
    expect(remoteSide.requests()).toBe(0);
    expect((await verifier.verify(await remoteSide.token())).ok).toBe(true);
    expect(remoteSide.requests()).toBe(1);
  });
});

describe('a key source holds public keys only', () => {
  it('refuses a private JWK, and what it holds and serves has no private part', async () => {
    const privateJwk = generatePrivateJwk();
    expect(() => publicKeySource({ jwks: [privateJwk as never] })).toThrow();
    const keys = signingKeySet([privateJwk]);
    const source = publicKeySource({ jwks: keys.publicJwks() });
    expect(Object.keys(source).sort()).toEqual(['getKey', 'localJwks']);
    expect(source.localJwks()).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: privateJwk.x,
        kid: privateJwk.kid,
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    const side = await usersSide(keys);
    const served = (await (await fetch(side.url)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(served.keys.map((key) => Object.keys(key).sort())).toEqual([
      ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
    ]);
  });
});
