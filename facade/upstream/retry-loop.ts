import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type RetryBudget } from './retry-budget.ts';
import type { UpstreamAnswer, UpstreamCall } from './upstream-call.ts';
import { ClientGone, UpstreamTimeout } from './upstream-errors.ts';

// What both upstreams (over the network, in this process) do around their attempts: the call's
// signals, opened once, and the attempts again under the call's schedule, the deadline and the
// upstream's retry budget.

/** Answers worth another attempt: the upstream, or the way to it, was failing. */
export const RETRY_STATUSES = new Set([502, 503, 504]);

/**
 * How one call ends early: its deadline passes, or its client goes away. One timer per call and
 * plain callbacks; an AbortSignal is made only when something waits on one (the pause between
 * attempts, a queue for a slot). AbortSignal.any and AbortSignal.timeout, and undici watching a
 * signal, cost several times more per request here.
 */
export interface CallSignals {
  /** The call's time ran out (rather than its client going away). */
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Aborted with either cause. */
  readonly any: AbortSignal;
  /** Runs `abort` when the call is aborted (at once if it is); the returned function stops that. */
  onAbort(abort: (reason: unknown) => void): () => void;
  /** Clears the timer and the client listener; call once the call has settled. */
  release(): void;
}

class CallAbort implements CallSignals {
  timedOut = false;
  aborted = false;
  reason: unknown;
  #listeners: Array<(reason: unknown) => void> = [];
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout>;
  #client: AbortSignal | undefined;
  #clientGone = () => this.#abort(this.#client?.reason);

  constructor(leftMs: number, client: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#abort(new DOMException('the call ran out of time', 'TimeoutError'));
    }, leftMs);
    this.#client = client;
    client?.addEventListener('abort', this.#clientGone, { once: true });
  }

  get any(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  onAbort(abort: (reason: unknown) => void): () => void {
    if (this.aborted) {
      abort(this.reason);
      return () => {};
    }
    this.#listeners.push(abort);
    return () => {
      const at = this.#listeners.indexOf(abort);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  release() {
    clearTimeout(this.#timer);
    this.#client?.removeEventListener('abort', this.#clientGone);
  }

  #abort(reason: unknown) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    for (const listener of this.#listeners.splice(0)) listener(reason);
  }
}

/** The call's signals; throws when its deadline has passed or its client went away already. */
export function callSignals(name: string, call: UpstreamCall): CallSignals {
  const left = call.deadlineAt - performance.now();
  if (left <= 0) throw new UpstreamTimeout(name, `${name}: the deadline passed before the call`);
  if (call.signal?.aborted) throw new ClientGone(name, `${name}: the client went away`);
  return new CallAbort(Math.ceil(left), call.signal);
}

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
