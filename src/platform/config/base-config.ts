import { z } from 'zod';

// Unset and empty both mean "not configured", so `FOO_URL=` in a shell or compose file works.
export const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))
  .pipe(z.url().optional());

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A TCP port setting with its default (0 picks a free port, for tests). */
export const portSetting = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * What every component reads: logging, the database bounds, Redis and the event bus, limits,
 * shutdown and retention. A component adds its own slice (its port, its database URL, its
 * business settings) with `componentConfigSchema`, so no component inherits another's.
 */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  /** Where each embedded (PGlite) database keeps its directory, one per component. */
  DATA_DIR: z.string().default('.data'),
  /** PostgreSQL cancels a statement or lock wait that runs longer (and ends idle transactions). */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** How long opening a PostgreSQL connection may take. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Without it the event bus delivers in-process. */
  REDIS_URL: optionalUrl,
  REDIS_PREFIX: z.string().min(1).default('commerce'),
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
   * Delivered outbox rows, delivery records, inbox rows and idempotency keys older than this
   * are deleted (dead deliveries are kept). Also how far back a recovery after Redis lost its
   * data can relay events again.
   */
  RETENTION_MS: z.coerce
    .number()
    .int()
    .min(3_600_000)
    .default(7 * 24 * 3_600_000),
  /** How often the retention sweep runs. */
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** Seed demo data on start when empty; defaults to on for embedded databases. */
  SEED_DEMO_DATA: booleanFlag.optional(),
};

export type BaseConfig = z.output<z.ZodObject<typeof baseConfigShape>> & {
  /** Resolved: demo data is seeded by default on an embedded database only. */
  SEED_DEMO_DATA: boolean;
};

/** A rule a production environment must keep; returns the problem, or nothing. */
export type ProductionRule = (
  env: Record<string, unknown>,
) => { path: string; message: string } | undefined;

/** A part of a component's configuration: its variables and what production demands of them. */
export interface ConfigSlice<S extends z.ZodRawShape> {
  shape: S;
  productionRules?: ProductionRule[];
}

export function configSlice<S extends z.ZodRawShape>(
  shape: S,
  productionRules: ProductionRule[] = [],
): ConfigSlice<S> {
  return { shape, productionRules };
}

const noDemoDataInProduction: ProductionRule = (env) =>
  // Demo accounts have published passwords; production's first admin comes from admin:create.
  env.SEED_DEMO_DATA
    ? {
        path: 'SEED_DEMO_DATA',
        message:
          'demo data (accounts with published passwords) is not allowed in production; create the first admin with npm run admin:create',
      }
    : undefined;

/**
 * One component's configuration: the base plus its own slice. `databaseUrl` names the setting
 * that holds the component's PostgreSQL URL (each component has its own database); it is
 * required in production, and its absence means an embedded database.
 */
export function componentConfigSchema<S extends z.ZodRawShape>(
  slice: ConfigSlice<S>,
  { databaseUrl }: { databaseUrl: keyof S & string },
) {
  const rules: ProductionRule[] = [
    noDemoDataInProduction,
    (env) =>
      env[databaseUrl]
        ? undefined
        : { path: databaseUrl, message: `${databaseUrl} is required in production` },
    ...(slice.productionRules ?? []),
  ];
  return z
    .object({ ...baseConfigShape, ...slice.shape })
    .superRefine((parsed, ctx) => {
      const env = parsed as Record<string, unknown>;
      if (env.NODE_ENV !== 'production') return;
      for (const rule of rules) {
        const issue = rule(env);
        if (issue) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
      }
    })
    .transform((env) => {
      const seed = (env as Record<string, unknown>).SEED_DEMO_DATA as boolean | undefined;
      return { ...env, SEED_DEMO_DATA: seed ?? !(env as Record<string, unknown>)[databaseUrl] };
    });
}

export class ConfigError extends Error {}

/** Reads and validates the environment once, at start, so a bad value fails fast and says which. */
export function loadConfig<T>(
  schema: z.ZodType<T>,
  env: Record<string, string | undefined> = process.env,
): T {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
