import { z } from 'zod';
import { configSlice, optionalUrl } from '../config/base-config.ts';

/**
 * How a component checks users' access tokens. Only public keys come into it: its own users
 * side's (when it hosts one) and those at USERS_JWKS_URL.
 */
export const authConfig = configSlice({
  /** The issuer access tokens carry (`iss`); every users implementation issues under it. */
  JWT_ISSUER: z.string().min(1).default('commerce'),
  /**
   * A JWKS endpoint whose keys verify access tokens too (the users-service's
   * /.well-known/jwks.json): fetched when a token needs a key, cached, refetched for a new kid.
   */
  USERS_JWKS_URL: optionalUrl,
});
export type AuthConfig = z.output<z.ZodObject<typeof authConfig.shape>>;
