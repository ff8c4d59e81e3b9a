import { z } from 'zod';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from '../../platform/auth/access-token.ts';
import { configSlice } from '../../platform/config/base-config.ts';

/** The users module's settings. */
export const usersConfig = configSlice({
  /** Access token lifetime; verifiers refuse any longer one. */
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(MAX_ACCESS_TOKEN_TTL_SECONDS).default(3600),
});
export type UsersConfig = z.output<z.ZodObject<typeof usersConfig.shape>>;
