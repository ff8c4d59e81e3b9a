import { z } from 'zod';

export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-in-production';

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
    /** PostgreSQL cancels a statement or lock wait that runs longer (and ends idle transactions). */
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** How long opening a PostgreSQL connection may take. */
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** Without it the event bus delivers in-process. */
    REDIS_URL: optionalUrl,
    REDIS_PREFIX: z.string().min(1).default('commerce'),
    /** Signs and verifies access tokens (HS256); every component that checks tokens shares it. */
    JWT_SECRET: z.string().min(16).default(DEV_JWT_SECRET),
    JWT_ISSUER: z.string().min(1).default('commerce'),
    JWT_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    EVENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
    EVENT_RETRY_BASE_MS: z.coerce.number().int().min(1).default(500),
    /** Readiness fails once the outbox relay has not moved (or an event has waited) this long. */
    EVENT_RELAY_STALL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    /** BullMQ's lock on an active job: a dead worker's jobs go to another within ~1.5× this. */
    EVENT_JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(4_000),
    /**
     * Delivered outbox rows, delivery records, inbox rows and idempotency keys of finished
     * checkouts older than this are deleted (dead deliveries are kept). Also how far back a recovery after Redis
     * lost its data can relay events again.
     */
    RETENTION_MS: z.coerce
      .number()
      .int()
      .min(3_600_000)
      .default(7 * 24 * 3_600_000),
    /** How often the retention sweep runs. */
    RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(600_000),
    /** The sandbox payment provider's added latency per call, to rehearse slow providers. */
    PAYMENT_SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
    /**
     * How long payments waits for the provider's answer to a charge or refund; past it the
     * outcome counts as unknown (the payment stays pending and is asked about again).
     */
    PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** ISO country codes the shipping module delivers to; others are refused. */
    SHIPPING_COUNTRIES: z
      .string()
      .default('AT,BE,CH,DE,DK,ES,FI,FR,GB,IE,IT,LU,NL,NO,PL,PT,SE,US')
      .transform((list) => list.split(',').map((code) => code.trim().toUpperCase()))
      .pipe(z.array(z.string().regex(/^[A-Z]{2}$/)).min(1)),
    /**
     * Failure injection for rehearsing crashes: the checkout saga stops dead right after this
     * step is recorded, as if the process had died. Refused in production.
     */
    SAGA_CRASH_AFTER: z.enum(['reserve_stock', 'capture_payment', 'schedule_shipment']).optional(),
    /**
     * How long a checkout saga stays claimed by the process driving it without progress; a
     * crashed process's sagas are picked up by another (or the restarted) one after this.
     */
    SAGA_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** How often each process looks for sagas left unfinished (by a crash) to complete or undo. */
    SAGA_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(10_000),
    /** Each admin dashboard source gets this long before it is reported unavailable. */
    DASHBOARD_SOURCE_TIMEOUT_MS: z.coerce.number().int().min(10).max(30_000).default(500),
    /** Seed demo data on start when the catalog is empty; defaults to on for embedded runs. */
    SEED_DEMO_DATA: booleanFlag.optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.JWT_SECRET === DEV_JWT_SECRET || env.JWT_SECRET.length < 32) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message:
          'a JWT_SECRET of at least 32 characters, not the dev default, is required in production',
      });
    }
    if (env.SAGA_CRASH_AFTER) {
      ctx.addIssue({
        code: 'custom',
        path: ['SAGA_CRASH_AFTER'],
        message: 'failure injection is not allowed in production',
      });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'DATABASE_URL is required in production',
      });
    }
    // Demo accounts have published passwords; production's first admin comes from admin:create.
    if (env.SEED_DEMO_DATA) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO_DATA'],
        message:
          'demo data (accounts with published passwords) is not allowed in production; create the first admin with npm run admin:create',
      });
    }
  })
  .transform((env) => ({
    ...env,
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
