import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { recordAccess } from './access-log.ts';
import { finishAnswerHeaders, setAnswerHeader, startAnswerHeaders } from './answer-headers.ts';
import type { AppEnv } from './app-env.ts';
import { ProblemError, problemResponse } from './problem.ts';
import { deadlineOf, REQUEST_BUDGET_HEADER } from './request-budget.ts';
import { requestHeader } from './request-header.ts';
import { requestIdOf } from './request-id.ts';
import { traceIdOf } from './trace-context.ts';

// What every request starts with, in one middleware rather than one each (every layer is a
// closure and a promise on every request): its id, its trace, its deadline and its logger; once
// answered, one access line and one metrics sample.

export interface RequestContextOptions {
  logger: Logger;
  metrics: Metrics;
  /** The most a caller's `x-request-budget-ms` may grant a request. */
  maxRequestBudgetMs: number;
  /** Answer headers are put on the answer once it is built (see answer-headers.ts). */
  deferAnswerHeaders?: boolean;
}

export function requestContext({
  logger,
  metrics,
  maxRequestBudgetMs,
  deferAnswerHeaders = false,
}: RequestContextOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const answerHeaders = startAnswerHeaders(c, deferAnswerHeaders);
    const requestId = requestIdOf(requestHeader(c, 'x-request-id'));
    const traceId = traceIdOf(requestHeader(c, 'traceparent'));
    c.set('requestId', requestId);
    c.set('traceId', traceId);
    setAnswerHeader(c, 'X-Request-ID', requestId);
    const requestLogger = logger.child({ requestId, traceId });
    c.set('logger', requestLogger);
    const deadlineAt = deadlineOf(
      requestHeader(c, REQUEST_BUDGET_HEADER),
      maxRequestBudgetMs,
      started,
    );
    if (deadlineAt === 'spent') {
      // Answered here, doing no work: the caller stopped waiting before the request arrived.
      c.res = problemResponse(
        c,
        new ProblemError(
          504,
          `The caller's time budget (${REQUEST_BUDGET_HEADER}) was spent before the request arrived.`,
        ).problem,
      );
    } else {
      if (deadlineAt !== undefined) c.set('deadlineAt', deadlineAt);
      await next();
    }
    finishAnswerHeaders(c, answerHeaders);
    recordAccess(c, { started, logger: requestLogger, metrics });
  });
}
