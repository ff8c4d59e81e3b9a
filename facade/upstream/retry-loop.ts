import { setTimeout as sleep } from 'node:timers/promises';
import type { CallSignals } from './call-signals.ts';
import { backoffDelay, type RetryBudget } from './retry-budget.ts';
import type { UpstreamAnswer, UpstreamCall } from './upstream-call.ts';

// What both upstreams (over the network, in this process) do around their attempts: the
// attempts again under the call's schedule, the deadline and the upstream's retry budget.

/** Answers worth another attempt: the upstream, or the way to it, was failing. */
export const RETRY_STATUSES = new Set([502, 503, 504]);

/** One attempt's outcome: an answer, or what it threw. */
export type AttemptOutcome = { answer: UpstreamAnswer } | { error: unknown };

export interface RetryLoop {
  call: UpstreamCall;
  budget: RetryBudget;
  /** Aborts the wait between attempts. */
  signals: CallSignals;
  attempt(attempts: number): Promise<UpstreamAnswer>;
  /** Whether the outcome is worth another attempt (the schedule and budget permitting). */
  again(outcome: AttemptOutcome): boolean;
  /** What an abort of the wait between attempts is thrown as. */
  interrupted(error: unknown): Error;
}

/**
 * Attempts until one is not worth repeating or the schedule, the deadline or the budget says
 * stop: then the last outcome stands (its answer returned, its error thrown).
 */
export async function withRetries(loop: RetryLoop): Promise<UpstreamAnswer> {
  const { call, budget } = loop;
  const maxAttempts = call.retry?.maxAttempts ?? 1;
  budget.active++;
  try {
    for (let attempts = 1; ; attempts++) {
      let outcome: AttemptOutcome;
      try {
        outcome = { answer: await loop.attempt(attempts) };
      } catch (error) {
        outcome = { error };
      } finally {
        if (attempts > 1) budget.retryEnded();
      }
      const retry = call.retry;
      if (!retry || attempts >= maxAttempts || !loop.again(outcome)) return settled(outcome);
      const delay = backoffDelay(attempts - 1, retry.baseDelayMs, retry.maxDelayMs);
      const now = performance.now();
      if (now + delay >= call.deadlineAt || !budget.tryRetry(now)) return settled(outcome);
      try {
        await sleep(delay, undefined, { signal: loop.signals.any });
      } catch (error) {
        budget.retryEnded();
        throw loop.interrupted(error);
      }
    }
  } finally {
    budget.active--;
  }
}

function settled(outcome: AttemptOutcome): UpstreamAnswer {
  if ('answer' in outcome) return outcome.answer;
  throw outcome.error;
}
