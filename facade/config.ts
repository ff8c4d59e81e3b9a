import { hostname } from 'node:os';
import { z } from 'zod';
import {
  serviceCalleeConfig,
  serviceCallerConfig,
} from '../src/platform/auth/service-credentials-config.ts';
import {
  componentConfigSchema,
  configSlice,
  loadConfig,
  optionalUrl,
  portSetting,
} from '../src/platform/config/base-config.ts';
import { edgeConfig } from './edge/config.ts';

/** `http://a:3001,http://b:3001`: the instances of one upstream, round-robin. */
const instances = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const urls = value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      for (const url of urls) {
        if (!z.url({ protocol: /^https?$/ }).safeParse(url).success) {
          ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` });
          return z.NEVER;
        }
      }
      if (urls.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'at least one URL' });
        return z.NEVER;
      }
      return urls;
    });

/**
 * The facade's settings. Its names carry its prefix, so one process running every component
 * reads each component's own.
 */
export const facadeSlice = configSlice({
  FACADE_PORT: portSetting(3000),
  /** The facade's own PostgreSQL (toggles, journal, parity); without it a PGlite directory. */
  FACADE_DATABASE_URL: optionalUrl,
  /** The monolith's instances (legacy), comma-separated. */
  FACADE_MONOLITH_URLS: instances('http://127.0.0.1:3001'),
  FACADE_USERS_SERVICE_URLS: instances('http://127.0.0.1:3002'),
  FACADE_PAYMENTS_SERVICE_URLS: instances('http://127.0.0.1:3003'),
  /** The users side's public keys, which verify access tokens at the edge. */
  FACADE_USERS_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  /** The issuer access tokens carry. */
  JWT_ISSUER: z.string().min(1).default('commerce'),
  /** This replica's name in the toggle store's replica list. */
  FACADE_REPLICA_ID: z
    .string()
    .regex(/^[\w.:-]{1,100}$/)
    .default(`${hostname()}-${process.pid}`),
  /** How often a replica reads the toggles again when Redis does not tell it (≤ 1 s). */
  FACADE_TOGGLE_POLL_MS: z.coerce.number().int().min(50).max(1_000).default(500),
  /** The bound on a request no route entry times (the monolith's own routes) and on any request. */
  FACADE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** Mirrored requests waiting for the new side in `shadow`; past it, mirrors are dropped. */
  FACADE_MIRROR_QUEUE: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** The largest request or legacy answer mirrored in `shadow`; larger ones are dropped. */
  FACADE_MIRROR_MAX_BODY_BYTES: z.coerce.number().int().min(0).max(16_777_216).default(65_536),
  /** The share of mirrored safe requests legacy answers twice, to learn its noise. */
  FACADE_NOISE_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.1),
  /** A new side whose error rate exceeds legacy's by this over the window steps back. */
  FACADE_STEP_BACK_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** A new side whose p99 exceeds legacy's times this, plus the slack, steps back. */
  FACADE_STEP_BACK_P99_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /**
   * Added to legacy's p99 before the comparison: a service one network hop away is slower than
   * a monolith answering in the same process, and a few slow requests must not step it back.
   */
  FACADE_STEP_BACK_P99_SLACK_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  ...serviceCallerConfig.shape,
  ...serviceCalleeConfig.shape,
  ...edgeConfig.shape,
});

export const facadeConfigSchema = componentConfigSchema(facadeSlice, {
  databaseUrl: 'FACADE_DATABASE_URL',
});

export type FacadeConfig = z.output<typeof facadeConfigSchema>;

export const loadFacadeConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(facadeConfigSchema, env);
