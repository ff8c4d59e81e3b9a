import { SignJWT } from 'jose';
import { z } from 'zod';
import { TOKEN_ALGORITHM } from './jwk.ts';
import type { SigningKeySet } from './signing-keys.ts';

export const roles = ['customer', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling, as every module sees it (`c.var.user`). */
export const principalSchema = z.object({
  id: z.uuid(),
  roles: z.array(roleSchema).min(1),
});
export type Principal = z.infer<typeof principalSchema>;

/**
 * What a token is for, in its `token_use` claim: a user's access token and a service token are
 * signed alike, and this keeps either from passing for the other.
 */
export const tokenUses = { access: 'access', service: 'service' } as const;

/** The longest an access token may live; verifiers refuse older ones, revocations expire after it. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * An access token's claims. `iat_ms` is the issue time in milliseconds: a password change
 * revokes the tokens issued before it, and one issued in the same second after it stays valid.
 */
export const accessTokenClaimsSchema = z.object({
  sub: z.uuid(),
  roles: z.array(roleSchema).min(1),
  iss: z.string(),
  iat: z.number().int(),
  iat_ms: z.number().int().nonnegative(),
  exp: z.number().int(),
  token_use: z.literal(tokenUses.access),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

export interface AccessTokenSettings {
  issuer: string;
  ttlSeconds: number;
}

/** Signs a principal's access token with the users side's current key (its kid in the header). */
export interface AccessTokenIssuer {
  issue(principal: Principal, now?: number): Promise<{ token: string; expiresAt: Date }>;
}

export function accessTokenIssuer(
  keys: SigningKeySet,
  settings: AccessTokenSettings,
): AccessTokenIssuer {
  return {
    async issue(principal, now = Date.now()) {
      const iat = Math.floor(now / 1000);
      const exp = iat + settings.ttlSeconds;
      const token = await new SignJWT({
        roles: principal.roles,
        iat_ms: now,
        token_use: tokenUses.access,
      })
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: keys.current.kid, typ: 'JWT' })
        .setSubject(principal.id)
        .setIssuer(settings.issuer)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(keys.current.privateKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}
