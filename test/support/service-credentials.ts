import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { generatePrivateJwk, type SigningKey, signingKeyOf } from '../../src/platform/auth/jwk.ts';
import type { KeySourceOptions } from '../../src/platform/auth/key-source.ts';
import { serviceTokenSource } from '../../src/platform/auth/service-tokens.ts';

/**
 * A calling component made for a test, and the Authorization headers a service's suite tries on
 * every route: a valid one, and one for each way a call must be refused. Give the service
 * `trustedCallers` (local keys, no HTTP needed), or serve `key.publicJwk` to test a JWKS URL.
 */
export function testServiceCaller(component = 'monolith') {
  const key = signingKeyOf(generatePrivateJwk());
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
