import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { type PublicJwk, publicJwkSchema } from './jwk.ts';

/** How long a fetched JWKS is used before it is fetched again. */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/**
 * After a fetch, an unknown kid does not fetch again for this long: a stream of tokens with
 * made-up kids costs one request per cooldown, not one per token.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** A JWKS request that takes longer is abandoned (the wait for keys is bounded). */
const JWKS_TIMEOUT_MS = 2_000;

/**
 * Where a verifier gets public keys: keys it was given, a JWKS URL, or both (tried in that
 * order). It holds public keys only, so nothing built on it can sign.
 */
export interface KeySourceOptions {
  jwks?: readonly PublicJwk[];
  url?: string | URL;
  /** Overrides for tests and tuning; the defaults suit production. */
  remote?: { cacheMaxAgeMs?: number; cooldownMs?: number; timeoutMs?: number };
}

/** The public keys of a source, as jose resolves a token's verification key. */
export interface PublicKeySource {
  getKey: JWTVerifyGetKey;
  /** The keys given locally (the remote ones are fetched as tokens need them). */
  localJwks(): PublicJwk[];
}

export class KeySourceUnavailable extends Error {}

function remoteSet(url: URL, options: KeySourceOptions['remote'] = {}): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: options.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: options.cooldownMs ?? JWKS_COOLDOWN_MS,
    timeoutDuration: options.timeoutMs ?? JWKS_TIMEOUT_MS,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw error;
      // The endpoint is down or slow: the keys last fetched still verify what they signed.
      const stale = remote.jwks();
      if (stale) return createLocalJWKSet(stale)(header, token);
      throw new KeySourceUnavailable(`the JWKS at ${url} could not be fetched`, { cause: error });
    }
  };
}

export function publicKeySource(options: KeySourceOptions): PublicKeySource {
  // Parsed, not trusted: a private JWK (with `d`) handed in by mistake is refused here.
  const local = options.jwks?.map((jwk) => publicJwkSchema.parse(jwk)) ?? [];
  const sets = [
    ...(local.length > 0 ? [createLocalJWKSet({ keys: local } as JSONWebKeySet)] : []),
    ...(options.url ? [remoteSet(new URL(options.url), options.remote)] : []),
  ];
  return {
    localJwks: () => [...local],
    async getKey(header, token) {
      for (const set of sets) {
        try {
          return await set(header, token);
        } catch (error) {
          if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        }
      }
      throw new errors.JWKSNoMatchingKey();
    },
  };
}
