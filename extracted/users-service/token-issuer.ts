import {
  type AccessTokenSettings,
  accessTokenIssuer,
  type Principal,
} from '../../src/platform/auth/access-token.ts';
import type { SigningKeySet } from '../../src/platform/auth/signing-keys.ts';

/** What POST /v1/sessions needs to hand out an access token; the signing itself is the platform's. */
export type TokenIssuer = (principal: Principal) => Promise<{ token: string; expiresAt: Date }>;

/**
 * The one place users-service meets the platform's token signing: the users side's keys (the
 * same set the legacy users module signs with), so a token from either is accepted everywhere.
 */
export function platformTokenIssuer(
  keys: SigningKeySet,
  settings: AccessTokenSettings,
): TokenIssuer {
  const issuer = accessTokenIssuer(keys, settings);
  return (principal) => issuer.issue(principal);
}
