import { z } from 'zod';
import { configSlice } from '../config/base-config.ts';

export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-in-production';

/** How a component checks access tokens; every component that checks them reads this slice. */
export const authConfig = configSlice(
  {
    /** Signs and verifies access tokens (HS256); every component that checks tokens shares it. */
    JWT_SECRET: z.string().min(16).default(DEV_JWT_SECRET),
    JWT_ISSUER: z.string().min(1).default('commerce'),
  },
  [
    (env) =>
      env.JWT_SECRET === DEV_JWT_SECRET || String(env.JWT_SECRET).length < 32
        ? {
            path: 'JWT_SECRET',
            message:
              'a JWT_SECRET of at least 32 characters, not the dev default, is required in production',
          }
        : undefined,
  ],
);
export type AuthConfig = z.output<z.ZodObject<typeof authConfig.shape>>;
