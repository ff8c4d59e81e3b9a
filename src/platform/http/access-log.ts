import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from './app-env.ts';

/** One access line and one metrics sample per request, labelled by route template, not raw path. */
export const accessLog = (logger: Logger, metrics: Metrics) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const requestLogger = logger.child({ requestId: c.var.requestId, traceId: c.var.traceId });
    c.set('logger', requestLogger);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const matched = routePath(c, -1);
    const route = c.res.status === 404 && matched === '/*' ? 'unmatched' : matched;
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    requestLogger.info(
      {
        method: c.req.method,
        path: c.req.path,
        route,
        status: c.res.status,
        durationMs: Math.round(seconds * 10_000) / 10,
      },
      'request',
    );
  });
