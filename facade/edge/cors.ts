import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { ProblemError, problemResponse } from '../../src/platform/http/problem.ts';
import { requestHeader } from '../../src/platform/http/request-header.ts';
import type { EdgeConfig } from './config.ts';
import { isPreflight } from './public-routes.ts';

/** What a browser script may read of an answer beyond the CORS-safelisted headers. */
export const EXPOSED_HEADERS = [
  'X-Request-ID',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'X-Cache',
] as const;

/** Browsers may cache a preflight's answer this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins in CORS_ORIGINS; none configured, no CORS header is ever sent. A
 * preflight is answered here, never forwarded: 204 for an allowed origin, 403 problem for
 * another. Bearer tokens travel in a header, not a cookie, so credentials stay off.
 */
export function edgeCors({ CORS_ORIGINS: origins }: Pick<EdgeConfig, 'CORS_ORIGINS'>) {
  const allowed = new Set(origins);
  const handle = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposeHeaders: [...EXPOSED_HEADERS],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (allowed.size === 0) return next();
    if (isPreflight(c.req.method, requestHeader(c, 'access-control-request-method'))) {
      const origin = requestHeader(c, 'origin') ?? '';
      if (!allowed.has(origin)) {
        return problemResponse(
          c,
          new ProblemError(403, `The origin ${origin || '(none)'} may not call this API.`).problem,
          { Vary: 'Origin' },
        );
      }
      return handle(c, next);
    }
    // Hono's cors takes every OPTIONS for a preflight; a plain OPTIONS goes on to its route.
    if (c.req.method === 'OPTIONS') return next();
    return handle(c, next);
  });
}
