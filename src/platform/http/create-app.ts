import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { isDataException } from '../db/errors.ts';
import type { Metrics } from '../metrics.ts';
import { isInfrastructureError } from '../resilience/infrastructure-error.ts';
import { allowedMethods } from './allowed-methods.ts';
import type { AppEnv } from './app-env.ts';
import { carriesBody } from './carries-body.ts';
import { drainUnreadBody } from './drain-unread-body.ts';
import { ProblemError, problemResponse, problemType } from './problem.ts';
import { requestContext } from './request-context.ts';
import { createRouter } from './router.ts';
import { secureHeaders } from './secure-headers.ts';

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  /**
   * Verifies the caller's credentials on every request and sets `c.var.user`; routes then
   * require roles. Each component says how its callers prove who they are.
   */
  authenticate: MiddlewareHandler<AppEnv>;
  /** The most a caller's `x-request-budget-ms` may grant a request (default 60 s). */
  maxRequestBudgetMs?: number;
  /** Answer headers go on an answer once it is built (see answer-headers.ts). */
  deferAnswerHeaders?: boolean;
}

/** What a client is told to wait before retrying when a backing service is down. */
const RETRY_AFTER_SECONDS = 5;

/** The app every component starts from: ids, tracing, access log, limits and problem+json errors. */
export function createHttpApp({
  logger,
  metrics,
  bodyLimitBytes,
  authenticate,
  maxRequestBudgetMs = 60_000,
  deferAnswerHeaders,
}: HttpAppOptions): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use(requestContext({ logger, metrics, maxRequestBudgetMs, deferAnswerHeaders }));
  app.use(secureHeaders());
  const limitBody = bodyLimit({
    maxSize: bodyLimitBytes,
    onError: (c) => {
      // The unread rest of the body is dropped with the socket, so say so rather than
      // let the client reuse a connection that is about to close.
      return problemResponse(
        c,
        new ProblemError(413, `The request body is larger than ${bodyLimitBytes} bytes.`).problem,
        { Connection: 'close' },
      );
    },
  });
  const drainBody = drainUnreadBody();
  // Both read `c.req.raw.body`, which makes @hono/node-server build a WHATWG Request: for a
  // request that has no body (most are GETs) that is all they would do, so they are skipped.
  app.use(async (c, next) => {
    if (!carriesBody(c)) return next();
    return limitBody(c, async () => {
      await drainBody(c, next);
    });
  });
  app.use(authenticate);
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return problemResponse(
        c,
        new ProblemError(
          405,
          `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}.`,
        ).problem,
        { Allow: allowed.join(', ') },
      );
    }
    return problemResponse(c, {
      type: problemType(404),
      title: 'Not Found',
      status: 404,
      detail: `No route for ${c.req.method} ${c.req.path}.`,
    });
  });
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error.problem, error.headers);
    if (error instanceof HTTPException && error.status < 500) {
      const status = error.status as ContentfulStatusCode;
      return problemResponse(c, {
        type: problemType(status),
        title: new ProblemError(status, '').problem.title,
        status,
        detail: error.message || undefined,
      });
    }
    if (isDataException(error)) {
      return problemResponse(c, {
        type: problemType(400),
        title: 'Bad Request',
        status: 400,
        detail: 'The request holds a value that cannot be stored (for example a NUL character).',
      });
    }
    if (isInfrastructureError(error)) {
      // The database or Redis is out of reach: say so, and when to try again. Not a 500: the
      // request was fine, and with an Idempotency-Key it is safe to send again.
      (c.var.logger ?? logger).warn({ err: error }, 'a backing service is unavailable');
      return problemResponse(
        c,
        {
          type: problemType(503),
          title: 'Service Unavailable',
          status: 503,
          detail:
            'A backing service (database or queue) is unavailable. Retry shortly; a request with an Idempotency-Key is safe to retry.',
        },
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
    (c.var.logger ?? logger).error({ err: error }, 'unhandled error');
    return problemResponse(c, {
      type: problemType(500),
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    });
  });
  return app;
}
