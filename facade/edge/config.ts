import { z } from 'zod';
import { booleanFlag, configSlice } from '../../src/platform/config/base-config.ts';

/** One origin as a browser sends it (`https://shop.example:8443`): scheme, host, port; no path. */
const originSchema = z
  .url()
  .refine((value) => new URL(value).origin === value, 'an origin has no path, query or slash');

/** A comma list of origins; unset or empty means none. */
const originList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
  )
  .pipe(z.array(originSchema));

/** The facade's edge: rate limits, CORS, the proxy in front of it, the catalog cache. */
export const edgeConfig = configSlice({
  /** Requests per minute per signed-in user, or per client IP when anonymous. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Sign-in attempts per minute per client IP: stricter, as passwords are guessed there. */
  RATE_LIMIT_LOGIN_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Browser origins allowed to call the API (`https://shop.example,https://admin.example`). */
  CORS_ORIGINS: originList,
  /**
   * Behind a proxy of ours (a load balancer): the client's IP is the last X-Forwarded-For hop,
   * the one that proxy appended, and X-Forwarded-Proto says whether the client used https.
   * Off, both headers are the client's own word and are ignored.
   */
  TRUST_PROXY: booleanFlag.default(false),
  /** How long a public catalog read is served from the cache; 0 turns the cache off. */
  CATALOG_CACHE_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
});
export type EdgeConfig = z.output<z.ZodObject<typeof edgeConfig.shape>>;
