import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelayMs } from '../../platform/bus/backoff.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import { isInfrastructureError } from '../../platform/resilience/infrastructure-error.ts';
import type { OrdersDeps } from './deps.ts';

// What an outage of our own infrastructure is to a saga drive, and how the drive outlasts a
// short one: the same work again, with backoff, for a bounded time.

/**
 * Our own infrastructure failed under the step (the database unreachable, a deadline passed):
 * that says nothing about the order, so the step is retried, never failed. A ProblemError is
 * an answer from the other side, even a 503 whose cause is a lost connection (payments saying
 * its provider is unreachable and nothing was recorded): describeFailure decides on it.
 */
export const isOutage = (error: unknown): boolean =>
  !(error instanceof ProblemError) && isInfrastructureError(error);

/** Backoff between tries through an outage: from 50 ms, doubling up to 1 s, with jitter. */
const OUTAGE_RETRY_BASE_MS = 50;
const OUTAGE_RETRY_MAX_MS = 1_000;

/**
 * Runs `work` again, with backoff, while it fails for an outage of our own infrastructure and
 * the drive's budget (outageRetryMs) lasts. `beforeRetry` runs ahead of each retry: a step
 * confirms the lease there, so a driver that lost it does not call the port again. Any other
 * error, or an outage outlasting the budget, is thrown.
 */
export async function throughOutages<T>(
  deps: OrdersDeps,
  work: () => Promise<T>,
  beforeRetry?: () => Promise<void>,
): Promise<T> {
  const deadline = Date.now() + deps.saga.outageRetryMs;
  for (let attempt = 1; ; attempt++) {
    try {
      if (attempt > 1) await beforeRetry?.();
      return await work();
    } catch (error) {
      if (!isOutage(error) || Date.now() >= deadline) throw error;
      deps.logger.warn({ err: error, attempt }, 'checkout saga met an outage; retrying');
    }
    const wait = retryDelayMs(attempt, OUTAGE_RETRY_BASE_MS, OUTAGE_RETRY_MAX_MS);
    await sleep(Math.max(0, Math.min(wait, deadline - Date.now())));
  }
}

/**
 * What went wrong at the bottom of an outage (`connect ECONNREFUSED …`), rather than drizzle's
 * wrapper, whose message carries the query and its parameters.
 */
export function rootCauseOf(error: unknown): string {
  let cause = error;
  for (let depth = 0; depth < 8 && cause instanceof Error && cause.cause; depth++) {
    cause = cause.cause;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
