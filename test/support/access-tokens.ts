import { randomUUID } from 'node:crypto';
import {
  type AccessTokenIssuer,
  accessTokenIssuer,
  type Role,
} from '../../src/platform/auth/access-token.ts';
import {
  type AccessTokenVerifier,
  accessTokenVerifier,
  type RevocationList,
} from '../../src/platform/auth/access-token-verifier.ts';
import { authenticate } from '../../src/platform/auth/authenticate.ts';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';
import { publicKeySource } from '../../src/platform/auth/key-source.ts';
import { type SigningKeySet, signingKeySet } from '../../src/platform/auth/signing-keys.ts';

/** A users side made for one test: its keys, an issuer, and a verifier of its public keys. */
export interface TestAccessTokens {
  signingKeys: SigningKeySet;
  issuer: AccessTokenIssuer;
  verifier: AccessTokenVerifier;
  /** The edge middleware over `verifier`, for createHttpApp. */
  authenticate: ReturnType<typeof authenticate>;
  /** A valid token of a made-up (or given) user with these roles. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
}

export function testAccessTokens({
  issuer: iss = 'commerce',
  ttlSeconds = 600,
  revocations,
}: {
  issuer?: string;
  ttlSeconds?: number;
  revocations?: RevocationList;
} = {}): TestAccessTokens {
  const signingKeys = signingKeySet([generatePrivateJwk()]);
  const issuer = accessTokenIssuer(signingKeys, { issuer: iss, ttlSeconds });
  const verifier = accessTokenVerifier({
    issuer: iss,
    keys: publicKeySource({ jwks: signingKeys.publicJwks() }),
    revocations,
  });
  return {
    signingKeys,
    issuer,
    verifier,
    authenticate: authenticate(verifier),
    async tokenFor(roles, userId = randomUUID()) {
      return (await issuer.issue({ id: userId, roles })).token;
    },
  };
}

/**
 * Signing keys for a component a test starts on PostgreSQL, as settings: without them it would
 * make and keep its keys under the default DATA_DIR, the checkout's `.data`.
 */
export function signingKeyEnv(): { USERS_SIGNING_KEYS: string; SERVICE_SIGNING_KEY: string } {
  return {
    USERS_SIGNING_KEYS: JSON.stringify([generatePrivateJwk()]),
    SERVICE_SIGNING_KEY: JSON.stringify(generatePrivateJwk()),
  };
}
