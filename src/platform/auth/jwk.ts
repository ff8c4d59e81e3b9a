import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';

/**
 * The one signature algorithm of every token here: Ed25519 (JWS `EdDSA`). Verifiers accept
 * nothing else, so `alg: none` and an HMAC keyed with a public key cannot get through.
 */
export const TOKEN_ALGORITHM = 'EdDSA';

/** An Ed25519 public key as a JWK, as a JWKS endpoint publishes it. */
export const publicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().min(1),
    kid: z.string().min(1),
    alg: z.literal(TOKEN_ALGORITHM).optional(),
    use: z.literal('sig').optional(),
  })
  // `strict`: a private part (`d`) is never accepted where a public key is meant.
  .strict();
export type PublicJwk = z.infer<typeof publicJwkSchema>;

/** An Ed25519 private key as a JWK, with its key id: what a signer is configured with. */
export const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal(TOKEN_ALGORITHM).optional(),
  use: z.literal('sig').optional(),
});
export type PrivateJwk = z.infer<typeof privateJwkSchema>;

export const jwksSchema = z.object({ keys: z.array(z.unknown()) });

/** A key to sign with: its id, the private key, and the public half that verifiers get. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

/** RFC 7638 thumbprint of an Ed25519 key: a key id derived from the key itself. */
function thumbprint(x: string): string {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function publicJwkOf(jwk: PrivateJwk): PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: TOKEN_ALGORITHM, use: 'sig' };
}

/** A new Ed25519 key pair as a private JWK, its kid the key's thumbprint. */
export function generatePrivateJwk(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const x = String(jwk.x);
  return privateJwkSchema.parse({ ...jwk, kid: thumbprint(x), alg: TOKEN_ALGORITHM, use: 'sig' });
}

/**
 * The signing key of a private JWK. The private and public parts must belong together: a
 * mismatched `x` would publish a key that verifies nothing this signs.
 */
export function signingKeyOf(jwk: PrivateJwk): SigningKey {
  const privateKey = createPrivateKey({
    key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d },
    format: 'jwk',
  });
  const derived = createPublicKey(privateKey).export({ format: 'jwk' });
  if (derived.x !== jwk.x) throw new Error(`key ${jwk.kid}: x is not the public half of d`);
  return { kid: jwk.kid, privateKey, publicJwk: publicJwkOf(jwk) };
}
