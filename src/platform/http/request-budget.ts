import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './app-env.ts';
import { ProblemError } from './problem.ts';

// The deadline that shrinks along the call chain: a caller says in `x-request-budget-ms` how long
// it still waits, so this component stops (and tells whoever it calls) when nobody waits any
// more. A request that arrives with nothing left is answered 504 at once, doing no work.

export const REQUEST_BUDGET_HEADER = 'x-request-budget-ms';

/** Whole milliseconds, possibly negative (a caller already late); anything else is ignored. */
const BUDGET = /^-?\d{1,10}$/;

/** Sets `c.var.deadlineAt` (performance.now() ms) from the caller's budget, capped at `maxMs`. */
export function requestBudget(maxMs: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header(REQUEST_BUDGET_HEADER);
    if (header !== undefined && BUDGET.test(header)) {
      const budget = Number(header);
      if (budget <= 0) {
        throw new ProblemError(
          504,
          `The caller's time budget (${REQUEST_BUDGET_HEADER}) was spent before the request arrived.`,
        );
      }
      c.set('deadlineAt', performance.now() + Math.min(budget, maxMs));
    }
    await next();
  });
}
