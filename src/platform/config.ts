import { z } from 'zod';

const DEV_ADMIN_TOKEN = 'dev-admin-token';

// Unset and empty both mean "not configured", so `FOO_URL=` in a shell or compose file works.
const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))
  .pipe(z.url().optional());

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    HOST: z.string().default('0.0.0.0'),
    MONOLITH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    /** Without it each database is an embedded PGlite directory under DATA_DIR. */
    DATABASE_URL: optionalUrl,
    DATA_DIR: z.string().default('.data'),
    /** Without it the event bus delivers in-process. */
    REDIS_URL: optionalUrl,
    REDIS_PREFIX: z.string().min(1).default('commerce'),
    ADMIN_TOKEN: z.string().min(1).optional(),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
    EVENT_RETRY_BASE_MS: z.coerce.number().int().min(1).default(500),
    /** Seed demo data on start when the catalog is empty; defaults to on for embedded runs. */
    SEED_DEMO_DATA: booleanFlag.optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (!env.ADMIN_TOKEN || env.ADMIN_TOKEN === DEV_ADMIN_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: 'a non-default ADMIN_TOKEN is required in production',
      });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'DATABASE_URL is required in production',
      });
    }
  })
  .transform((env) => ({
    ...env,
    ADMIN_TOKEN: env.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN,
    SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? !env.DATABASE_URL,
  }));

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Reads and validates the environment once, at start, so a bad value fails fast and says which. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
