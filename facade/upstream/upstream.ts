import {
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTaskCancelledError,
} from 'cockatiel';
import type { Logger } from 'pino';
import { AnswerTooLarge, dispatchBuffered } from './buffered-dispatch.ts';
import { type CallSignals, callSignals, untilAborted } from './call-signals.ts';
import { startHealthChecks } from './health-checks.ts';
import { type Instance, InstanceSet } from './instances.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
import { RETRY_STATUSES, withRetries } from './retry-loop.ts';
import {
  type CircuitPosition,
  REQUEST_BUDGET_HEADER,
  type Upstream,
  type UpstreamAnswer,
  type UpstreamCall,
} from './upstream-call.ts';
import {
  ClientGone,
  UpstreamBroken,
  UpstreamRejected,
  UpstreamTimeout,
} from './upstream-errors.ts';

// An upstream over the network: an undici Pool per instance, round-robin across the healthy
// ones, and around every call, from the outside in: a bulkhead (calls at once), retries under a
// budget, a circuit breaker per attempt, and the deadline, which bounds all of it and travels
// to the upstream in `x-request-budget-ms`.

export type {
  Upstream,
  UpstreamAnswer,
  UpstreamCall,
  UpstreamState,
} from './upstream-call.ts';

import { notConnectedCode } from '../../src/platform/http/connect-errors.ts';

export interface UpstreamOptions {
  /** 'monolith', 'users-service', 'payments-service': in errors, logs and problems. */
  name: string;
  /** Base URLs (`http://host:port`), at least one. */
  instances: string[];
  /** Connections per instance (default 64). */
  connections?: number;
  /** The readiness path each instance is polled on (default '/health/ready'); null: none. */
  healthPath?: string | null;
  healthIntervalMs?: number;
  /** Consecutive 5xx or connect failures of one instance that eject it (default 5). */
  ejectAfter?: number;
  /** Its first time out (default 10 s), doubled on each repeat, up to maxEjectMs (5 min). */
  ejectMs?: number;
  maxEjectMs?: number;
  /** Failed attempts in a row that open the circuit (default 5). */
  breakAfter?: number;
  /** How long the circuit stays open before one call probes it (default 5 s). */
  halfOpenAfterMs?: number;
  /** Calls at once (default 512), and calls waiting for a slot (default 0). */
  maxConcurrent?: number;
  maxQueued?: number;
  /** Default: 20% of the calls in flight, at least 10 a second. */
  retryBudget?: RetryBudgetOptions;
  /** Answers over this size break the call (default 8 MiB). */
  maxAnswerBytes?: number;
  logger?: Logger;
}

/** What an attempt's failure says about the upstream (the breaker and the ejection count it). */
const upstreamFault = (error: unknown) =>
  error instanceof UpstreamTimeout ||
  error instanceof UpstreamBroken ||
  (error instanceof UpstreamRejected && error.reason === 'connect-error');

/**
 * What the circuit counts: an attempt's failure, and finding no instance healthy. Health checks
 * and ejection notice a dead upstream first; the circuit must still open on it.
 */
const circuitFault = (error: unknown) =>
  upstreamFault(error) || (error instanceof UpstreamRejected && error.reason === 'no-instance');

const isServerError = (answer: unknown) => (answer as UpstreamAnswer).status >= 500;

const positions: Record<CircuitState, CircuitPosition> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

export function createPoolUpstream(options: UpstreamOptions): Upstream {
  const { name, logger } = options;
  const maxAnswerBytes = options.maxAnswerBytes ?? 8 * 1024 * 1024;
  const maxConcurrent = options.maxConcurrent ?? 512;
  const maxQueued = options.maxQueued ?? 0;
  const instances = new InstanceSet({
    instances: options.instances,
    connections: options.connections ?? 64,
    ejectAfter: options.ejectAfter ?? 5,
    ejectMs: options.ejectMs ?? 10_000,
    maxEjectMs: options.maxEjectMs ?? 300_000,
  });
  const budget = new RetryBudget(options.retryBudget ?? { ratio: 0.2, minPerSecond: 10 });
  const breaker = circuitBreaker(handleWhen(circuitFault).orWhenResult(isServerError), {
    halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
    breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
  });
  breaker.onStateChange((state) =>
    logger?.warn({ upstream: name, circuit: positions[state] }, 'upstream circuit changed'),
  );
  const slots = bulkhead(maxConcurrent, maxQueued);
  const healthPath = options.healthPath === undefined ? '/health/ready' : options.healthPath;
  const healthIntervalMs = options.healthIntervalMs ?? 2_000;
  const stopHealthChecks = healthPath
    ? startHealthChecks({
        upstream: name,
        instances: instances.all,
        path: healthPath,
        intervalMs: healthIntervalMs,
        timeoutMs: 1_000,
        logger,
      })
    : () => {};

  /** An undici failure as one of the upstream errors, told apart by what may have happened. */
  function classify(error: unknown, call: UpstreamCall, signals: CallSignals, what: string) {
    if (call.signal?.aborted) return new ClientGone(name, `${what}: the client went away`);
    if (signals.timedOut) {
      return new UpstreamTimeout(name, `${what}: no answer by the deadline`, { cause: error });
    }
    if (error instanceof AnswerTooLarge) {
      return new UpstreamBroken(name, `${what}: ${error.message}`, { cause: error });
    }
    const code = notConnectedCode(error);
    if (code) {
      return new UpstreamRejected(name, 'connect-error', `${what}: ${code}`, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new UpstreamBroken(name, `${what}: ${message}`, { cause: error });
  }

  async function attempt(
    instance: Instance,
    call: UpstreamCall,
    attempts: number,
    signals: CallSignals,
  ): Promise<UpstreamAnswer> {
    const what = `${name} ${call.method} ${instance.url}${call.path}`;
    const remaining = Math.floor(call.deadlineAt - performance.now());
    if (remaining <= 0) throw new UpstreamTimeout(name, `${what}: the deadline passed`);
    try {
      const answer = await dispatchBuffered(
        instance.pool,
        {
          method: call.method,
          path: call.path,
          headers: { ...call.headers, [REQUEST_BUDGET_HEADER]: String(remaining) },
          body: call.body,
        },
        maxAnswerBytes,
        signals,
      );
      return { ...answer, instance: instance.url, attempts };
    } catch (error) {
      throw classify(error, call, signals, what);
    }
  }

  /** One attempt on the next instance, through the breaker; instance outcomes recorded. */
  async function guardedAttempt(
    call: UpstreamCall,
    attempts: number,
    signals: CallSignals,
  ): Promise<UpstreamAnswer> {
    // Half-open lets one probe through; cockatiel would hold the others until it answers.
    if (breaker.state === CircuitState.HalfOpen) throw circuitOpen();
    let instance: Instance | undefined;
    try {
      const answer = await breaker.execute(() => {
        instance = instances.pick(performance.now());
        if (!instance) {
          throw new UpstreamRejected(name, 'no-instance', `${name}: no instance is healthy`);
        }
        return attempt(instance, call, attempts, signals);
      });
      if (instance && answer.status >= 500) instances.failed(instance, performance.now());
      else if (instance) instances.succeeded(instance);
      return answer;
    } catch (error) {
      if (isBrokenCircuitError(error)) throw circuitOpen(error);
      if (instance && upstreamFault(error)) instances.failed(instance, performance.now());
      throw error;
    }
  }

  const circuitOpen = (cause?: unknown) =>
    new UpstreamRejected(name, 'circuit-open', `${name}: circuit open after repeated failures`, {
      cause,
    });

  const run = (call: UpstreamCall, signals: CallSignals) =>
    withRetries({
      call,
      budget,
      signals,
      attempt: (attempts) => guardedAttempt(call, attempts, signals),
      again: (outcome) =>
        'answer' in outcome
          ? RETRY_STATUSES.has(outcome.answer.status)
          : outcome.error instanceof UpstreamBroken ||
            (outcome.error instanceof UpstreamRejected && outcome.error.reason === 'connect-error'),
      interrupted: (error) => classify(error, call, signals, `${name} ${call.method} ${call.path}`),
    });

  return {
    name,
    async send(call) {
      const signals = callSignals(name, call);
      try {
        // Without a queue the bulkhead has nothing to abort: its signal is not made for it.
        if (maxQueued === 0) return await slots.execute(() => run(call, signals));
        const running = slots.execute(() => run(call, signals), signals.any);
        // A wait for a slot ends with the deadline too, not only when a slot frees; the call
        // left behind settles later, unobserved (its own signal is aborted as well).
        running.catch(() => {});
        return await untilAborted(running, signals);
      } catch (error) {
        if (isBulkheadRejectedError(error)) {
          throw new UpstreamRejected(
            name,
            'bulkhead-full',
            `${name}: ${maxConcurrent} calls running and ${maxQueued} waiting`,
          );
        }
        if (isTaskCancelledError(error) || (signals.aborted && error === signals.reason)) {
          throw classify(error, call, signals, `${name} ${call.method} ${call.path}`);
        }
        throw error;
      } finally {
        signals.release();
      }
    },
    state() {
      const now = performance.now();
      const wallNow = Date.now();
      return {
        circuit: positions[breaker.state],
        active: maxConcurrent - slots.executionSlots,
        queued: maxQueued - slots.queueSlots,
        instances: instances.all.map((instance) => ({
          url: instance.url,
          healthy: instance.healthy,
          ejectedUntil:
            instance.ejectedUntil > now
              ? new Date(wallNow + (instance.ejectedUntil - now)).toISOString()
              : null,
        })),
      };
    },
    async close() {
      stopHealthChecks();
      await instances.close();
    },
  };
}
