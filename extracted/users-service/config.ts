import { z } from 'zod';
import { authConfig } from '../../src/platform/auth/auth-config.ts';
import { serviceCalleeConfig } from '../../src/platform/auth/service-credentials-config.ts';
import { usersSigningConfig } from '../../src/platform/auth/signing-keys.ts';
import {
  componentConfigSchema,
  configSlice,
  loadConfig,
  optionalUrl,
  portSetting,
} from '../../src/platform/config/base-config.ts';

/**
 * users-service's own settings, on top of the platform's base: how its tokens are signed (the
 * users side's keys) and which components may call it.
 */
export const usersServiceConfigSchema = componentConfigSchema(
  configSlice(
    {
      USERS_SERVICE_PORT: portSetting(3002),
      /** users-service's own PostgreSQL; without it a PGlite directory `DATA_DIR/users-service`. */
      USERS_SERVICE_DATABASE_URL: optionalUrl,
      /** How long an access token from POST /v1/sessions is valid. */
      USERS_SERVICE_JWT_TTL_SECONDS: z.coerce
        .number()
        .int()
        .min(60)
        .max(7 * 24 * 3600)
        .default(3600),
      ...authConfig.shape,
      ...usersSigningConfig.shape,
      ...serviceCalleeConfig.shape,
    },
    [authConfig, usersSigningConfig, serviceCalleeConfig].flatMap((s) => s.productionRules ?? []),
  ),
  { databaseUrl: 'USERS_SERVICE_DATABASE_URL' },
);

export type UsersServiceConfig = z.output<typeof usersServiceConfigSchema>;

export const loadUsersServiceConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(usersServiceConfigSchema, env);
