import type { z } from 'zod';
import { configSlice } from '../config/base-config.ts';
import {
  generatePrivateJwk,
  type PrivateJwk,
  type PublicJwk,
  type SigningKey,
  signingKeyOf,
} from './jwk.ts';
import { parsePrivateJwkList, privateJwkListSetting } from './jwk-settings.ts';
import { keyFilePath, readOrCreateKeyFile } from './key-file.ts';

/**
 * The users side's signing keys. Only the components that issue access tokens (the legacy users
 * module's host, the users-service) read this slice; a verifier never sees a private key.
 */
export const usersSigningConfig = configSlice(
  {
    /**
     * A JSON array of Ed25519 private JWKs, each with a kid. The first signs; all are published
     * at /.well-known/jwks.json, so during a rotation tokens of both keys verify.
     */
    USERS_SIGNING_KEYS: privateJwkListSetting,
  },
  [
    (env) =>
      env.USERS_SIGNING_KEYS
        ? undefined
        : {
            path: 'USERS_SIGNING_KEYS',
            message:
              'USERS_SIGNING_KEYS (a JSON array of Ed25519 private JWKs with kids) is required in production',
          },
  ],
);
export type UsersSigningConfig = z.output<z.ZodObject<typeof usersSigningConfig.shape>>;

/** The file a local run keeps its generated users signing keys in, under DATA_DIR. */
export const USERS_SIGNING_KEYS_FILE = 'users-signing-keys.json';

/** The keys an issuer signs with and publishes. */
export interface SigningKeySet {
  /** The key new tokens are signed with. */
  current: SigningKey;
  /** Every live key's public half: what the JWKS endpoint serves and verifiers trust. */
  publicJwks(): PublicJwk[];
}

export function signingKeySet(jwks: readonly PrivateJwk[]): SigningKeySet {
  const keys = jwks.map(signingKeyOf);
  const [current] = keys;
  if (!current) throw new Error('a signing key set needs at least one key');
  return { current, publicJwks: () => keys.map((key) => key.publicJwk) };
}

/**
 * The users side's keys: from USERS_SIGNING_KEYS when set (production), otherwise generated
 * on the first start and kept in `<DATA_DIR>/keys/users-signing-keys.json`, which every users
 * implementation of a local run (the legacy module, the users-service) reads on later starts.
 */
export function loadUsersSigningKeys(
  config: UsersSigningConfig & { DATA_DIR: string },
): SigningKeySet {
  if (config.USERS_SIGNING_KEYS) return signingKeySet(config.USERS_SIGNING_KEYS);
  const path = keyFilePath(config.DATA_DIR, USERS_SIGNING_KEYS_FILE);
  const text = readOrCreateKeyFile(path, () => JSON.stringify([generatePrivateJwk()], null, 2));
  return signingKeySet(parsePrivateJwkList(text, path));
}
