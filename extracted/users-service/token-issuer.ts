import {
  type AccessTokenSettings,
  issueAccessToken,
  type Principal,
} from '../../src/platform/auth/access-token.ts';

/** What POST /v1/sessions needs to hand out an access token; the signing itself is the platform's. */
export type TokenIssuer = (principal: Principal) => Promise<{ token: string; expiresAt: Date }>;

/**
 * The one place users-service meets the platform's token signing: swapping the signing scheme
 * (HS256 today, EdDSA signing keys next) changes this adapter, not the use cases.
 */
export const platformTokenIssuer =
  (settings: AccessTokenSettings): TokenIssuer =>
  (principal) =>
    issueAccessToken(settings, principal);
