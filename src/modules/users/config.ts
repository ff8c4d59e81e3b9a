import { z } from 'zod';
import { configSlice } from '../../platform/config/base-config.ts';

/** The users module's settings. */
export const usersConfig = configSlice({
  JWT_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600),
});
export type UsersConfig = z.output<z.ZodObject<typeof usersConfig.shape>>;
