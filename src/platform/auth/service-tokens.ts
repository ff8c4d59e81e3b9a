import { randomUUID } from 'node:crypto';
import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { tokenUses } from './access-token.ts';
import { CLOCK_TOLERANCE_SECONDS } from './access-token-verifier.ts';
import { type SigningKey, TOKEN_ALGORITHM } from './jwk.ts';
import { KeySourceUnavailable, type PublicKeySource } from './key-source.ts';

/** The longest a service token may live; a callee refuses one that claims more. */
export const MAX_SERVICE_TOKEN_TTL_SECONDS = 300;
/** A cached token is replaced this long before it expires, so none expires on the way. */
const RENEW_BEFORE_SECONDS = 60;

/** A service token's claims: the caller (iss = sub), the one service it is for (aud). */
export const serviceTokenClaimsSchema = z.object({
  iss: z.string().min(1),
  sub: z.string().min(1),
  aud: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().optional(),
  token_use: z.literal(tokenUses.service),
});

export interface ServiceTokenSource {
  /** The calling component, the tokens' issuer. */
  issuer: string;
  /** A valid token for calls to `audience`: cached, and renewed before it expires. */
  tokenFor(audience: string): Promise<string>;
}

export interface ServiceTokenSourceOptions {
  component: string;
  key: SigningKey;
  /** At most MAX_SERVICE_TOKEN_TTL_SECONDS. */
  ttlSeconds?: number;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/** Issues this component's service tokens, one cached per audience. */
export function serviceTokenSource({
  component,
  key,
  ttlSeconds = MAX_SERVICE_TOKEN_TTL_SECONDS,
  now = Date.now,
}: ServiceTokenSourceOptions): ServiceTokenSource {
  if (ttlSeconds > MAX_SERVICE_TOKEN_TTL_SECONDS || ttlSeconds <= RENEW_BEFORE_SECONDS) {
    throw new Error(
      `a service token lives more than ${RENEW_BEFORE_SECONDS} s and at most ${MAX_SERVICE_TOKEN_TTL_SECONDS} s`,
    );
  }
  const cache = new Map<string, { token: Promise<string>; renewAtMs: number }>();

  const sign = (audience: string, iat: number) =>
    new SignJWT({ token_use: tokenUses.service })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
      .setIssuer(component)
      .setSubject(component)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);

  return {
    issuer: component,
    tokenFor(audience) {
      const at = now();
      const cached = cache.get(audience);
      if (cached && at < cached.renewAtMs) return cached.token;
      const iat = Math.floor(at / 1000);
      const token = sign(audience, iat);
      cache.set(audience, { token, renewAtMs: (iat + ttlSeconds - RENEW_BEFORE_SECONDS) * 1000 });
      // A failed signing is not kept: the next call tries again.
      token.catch(() => cache.delete(audience));
      return token;
    },
  };
}

export type ServiceTokenCheck =
  | { ok: true; caller: string }
  | { ok: false; status: 401 | 403 | 503; reason: string };

/**
 * A callee's check of a service token: an issuer it trusts, that issuer's key (EdDSA only), not
 * expired nor longer-lived than allowed, a service token (not a user's), and for this audience
 * (a valid token for another service is a 403, not a 401).
 */
export async function checkServiceToken(
  token: string,
  { audience, trustedCallers }: { audience: string; trustedCallers: Map<string, PublicKeySource> },
): Promise<ServiceTokenCheck> {
  let issuer: unknown;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    return { ok: false, status: 401, reason: 'not a JWT' };
  }
  const keys = typeof issuer === 'string' ? trustedCallers.get(issuer) : undefined;
  if (!keys) return { ok: false, status: 401, reason: `issuer ${String(issuer)} is not trusted` };
  try {
    const { payload } = await jwtVerify(token, keys.getKey, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: issuer as string,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_SERVICE_TOKEN_TTL_SECONDS,
      requiredClaims: ['exp', 'iat', 'aud', 'sub'],
    });
    const claims = serviceTokenClaimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, status: 401, reason: 'not a service token' };
    if (claims.data.exp - claims.data.iat > MAX_SERVICE_TOKEN_TTL_SECONDS) {
      return { ok: false, status: 401, reason: 'lives longer than a service token may' };
    }
    if (claims.data.aud !== audience) {
      return { ok: false, status: 403, reason: `for ${claims.data.aud}, not ${audience}` };
    }
    return { ok: true, caller: claims.data.iss };
  } catch (error) {
    if (error instanceof KeySourceUnavailable) {
      return { ok: false, status: 503, reason: error.message };
    }
    const reason = error instanceof errors.JOSEError ? error.code : String(error);
    return { ok: false, status: 401, reason };
  }
}
