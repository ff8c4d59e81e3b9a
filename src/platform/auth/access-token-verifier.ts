import { errors, jwtVerify } from 'jose';
import {
  accessTokenClaimsSchema,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  type Principal,
} from './access-token.ts';
import { TOKEN_ALGORITHM } from './jwk.ts';
import { KeySourceUnavailable, type PublicKeySource } from './key-source.ts';

/** Clocks of the issuing and the verifying process may differ by this much. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Which users' tokens issued before an instant no longer count (a password change). */
export interface RevocationList {
  isRevoked(userId: string, issuedAtMs: number): boolean;
}

export interface AccessTokenVerifierOptions {
  issuer: string;
  keys: PublicKeySource;
  revocations?: RevocationList;
}

/** The outcome of a check: the principal, or why not (for the log, never for the caller). */
export type Verification =
  | { ok: true; principal: Principal }
  | { ok: false; reason: string; unavailable?: boolean };

export interface AccessTokenVerifier {
  verify(token: string): Promise<Verification>;
}

/**
 * Checks an access token: EdDSA only (no `alg: none`, no HMAC whatever the secret), a key of
 * the source by kid, the issuer, expiry, age, the `access` token use, and revocation. The
 * caller cannot tell, and need not care, which users implementation issued it.
 */
export function accessTokenVerifier({
  issuer,
  keys,
  revocations,
}: AccessTokenVerifierOptions): AccessTokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys.getKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          maxTokenAge: MAX_ACCESS_TOKEN_TTL_SECONDS,
          requiredClaims: ['exp', 'iat', 'sub'],
        });
        const claims = accessTokenClaimsSchema.safeParse(payload);
        if (!claims.success) return { ok: false, reason: 'claims are not an access token' };
        if (revocations?.isRevoked(claims.data.sub, claims.data.iat_ms)) {
          return { ok: false, reason: 'revoked' };
        }
        return { ok: true, principal: { id: claims.data.sub, roles: claims.data.roles } };
      } catch (error) {
        if (error instanceof KeySourceUnavailable) {
          return { ok: false, reason: error.message, unavailable: true };
        }
        if (error instanceof errors.JOSEError) return { ok: false, reason: error.code };
        return { ok: false, reason: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
