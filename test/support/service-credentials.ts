import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { Principal } from '../../src/platform/auth/access-token.ts';
import {
  encodeForwardedUser,
  FORWARDED_USER_HEADER,
} from '../../src/platform/auth/forwarded-user.ts';
import { generatePrivateJwk, type SigningKey, signingKeyOf } from '../../src/platform/auth/jwk.ts';
import type { KeySourceOptions } from '../../src/platform/auth/key-source.ts';
import { serviceTokenSource } from '../../src/platform/auth/service-tokens.ts';

/**
 * A calling component made for a test, and the Authorization headers a service's suite tries on
 * every route: a valid one, and one for each way a call must be refused. Give the service
 * `trustedCallers` (local keys, no HTTP needed), or serve `key.publicJwk` to test a JWKS URL.
 * A real component signs as this caller when started with `privateJwk` as SERVICE_SIGNING_KEY.
 */
export function testServiceCaller(component = 'monolith') {
  const privateJwk = generatePrivateJwk();
  const key = signingKeyOf(privateJwk);
  const tokens = serviceTokenSource({ component, key });
  const trustedCallers: Record<string, KeySourceOptions> = {
    [component]: { jwks: [key.publicJwk] },
  };
  const signAs = (signer: SigningKey, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
      .sign(signer.privateKey);

  return {
    component,
    key,
    /** The key as a component is configured with it: SERVICE_SIGNING_KEY is its JSON. */
    privateJwk,
    tokens,
    trustedCallers,
    /** `Authorization` values for calls to `audience`; `missing` sends none. */
    async authorizations(audience: string) {
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        iss: component,
        sub: component,
        aud: audience,
        iat,
        exp: iat + 300,
        token_use: 'service',
      };
      const forger = signingKeyOf({ ...generatePrivateJwk(), kid: key.kid });
      const past = serviceTokenSource({ component, key, now: () => Date.now() - 10 * 60_000 });
      const stranger = serviceTokenSource({
        component: `${component}-impostor`,
        key: signingKeyOf(generatePrivateJwk()),
      });
      return {
        valid: `Bearer ${await tokens.tokenFor(audience)}`,
        /** 401 */
        missing: undefined,
        forged: `Bearer ${await signAs(forger, claims)}`,
        expired: `Bearer ${await past.tokenFor(audience)}`,
        untrusted: `Bearer ${await stranger.tokenFor(audience)}`,
        userToken: `Bearer ${await signAs(key, { ...claims, token_use: 'access' })}`,
        /** 403 */
        wrongAudience: `Bearer ${await tokens.tokenFor(`not-${audience}`)}`,
      };
    },
  };
}

/**
 * Serves `caller`'s public service key as a JWKS endpoint, as the caller's component does at
 * /.well-known/service-jwks.json: for a service configured by URL (SERVICE_TRUSTED_CALLERS).
 */
export async function serveServiceJwks(
  caller: ReturnType<typeof testServiceCaller>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: [caller.key.publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/service-jwks.json`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SendOptions {
  /** The end user the caller forwards: a forwarded-user value, or an access token it verified. */
  token?: string;
  /** A body that is not a string is sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a caller forwards for `token`: the value itself, or the user an access token names. */
function forwardedUserOf(token: string): string {
  const [, payload] = token.split('.');
  if (!payload) return token;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    sub: string;
    roles: Principal['roles'];
  };
  return encodeForwardedUser({ id: claims.sub, roles: claims.roles });
}

/**
 * Requests to a service's app as `caller` makes them: its service token for `audience` on every
 * call, and the end user it forwards (as the facade forwards a client it verified).
 */
export function sendAsCaller(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  caller: ReturnType<typeof testServiceCaller>,
  audience: string,
) {
  return async (method: string, path: string, { token, body, headers = {} }: SendOptions = {}) =>
    app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${await caller.tokens.tokenFor(audience)}`,
        ...(token !== undefined && { [FORWARDED_USER_HEADER]: forwardedUserOf(token) }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
}

/** A made-up (or given) end user with these roles, as `sendAsCaller` forwards it. */
export const forwardedUser = async (roles: Principal['roles'], userId = randomUUID()) =>
  encodeForwardedUser({ id: userId, roles });
