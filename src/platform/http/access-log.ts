import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from './app-env.ts';

/** One access line and one metrics sample for an answered request, by route template, not raw path. */
export function recordAccess(
  c: Context<AppEnv>,
  { started, logger, metrics }: { started: number; logger: Logger; metrics: Metrics },
) {
  const seconds = (performance.now() - started) / 1000;
  const { status } = c.res;
  const matched = routePath(c, -1);
  const route = status === 404 && matched === '/*' ? 'unmatched' : matched;
  const labels = { method: c.req.method, route, status: String(status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  logger.info(
    {
      method: c.req.method,
      path: c.req.path,
      route,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
    },
    'request',
  );
}
