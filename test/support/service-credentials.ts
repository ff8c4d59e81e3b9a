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
