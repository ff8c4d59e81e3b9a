import { SignJWT } from 'jose';
import type { PublicJwk } from '../../src/platform/auth/jwk.ts';

// Tokens an attacker can make without the private key: what every verifier must refuse.

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) with the given claims. */
export function unsignedToken(claims: Record<string, unknown>, kid?: string): string {
  return `${encode({ alg: 'none', typ: 'JWT', ...(kid && { kid }) })}.${encode(claims)}.`;
}

/** The same claims HMAC-signed with `secret` (`HS256` unless said). */
export function hmacToken(
  claims: Record<string, unknown>,
  secret: Uint8Array | string,
  { alg = 'HS256', kid }: { alg?: 'HS256' | 'HS384' | 'HS512'; kid?: string } = {},
): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid }).sign(key);
}

/**
 * What a verifier that trusted the header's `alg` might take as the HMAC key: the public key's
 * raw bytes, its base64url text, and its JWK as JSON (the classic algorithm-confusion attack).
 */
export function publicKeyAsSecrets(jwk: PublicJwk): Array<[string, Uint8Array | string]> {
  return [
    ['the raw public key', Buffer.from(jwk.x, 'base64url')],
    ['the public key as base64url', jwk.x],
    ['the public JWK as JSON', JSON.stringify(jwk)],
  ];
}

/** Claims shaped like an access token's, valid for ten minutes from `now`. */
export function accessClaims(
  userId: string,
  { issuer = 'commerce', roles = ['admin'], now = Date.now() } = {},
): Record<string, unknown> {
  const iat = Math.floor(now / 1000);
  return {
    sub: userId,
    roles,
    iss: issuer,
    iat,
    iat_ms: now,
    exp: iat + 600,
    token_use: 'access',
  };
}
