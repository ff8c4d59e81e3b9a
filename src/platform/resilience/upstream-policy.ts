import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  retry,
  wrap,
} from 'cockatiel';
import { AnswerNeverCame, RequestNotSent } from '../http/service-client.ts';

// How one component calls another: a request that never reached the other side is sent again
// with backoff (safe whatever it is); every failure of the upstream (not reached, no answer, a
// 5xx) counts towards a circuit breaker, which, once open, fails calls at once for a while and
// then lets one through to probe. Retrying a request that may have been carried out is the
// caller's decision (it knows whether it carries an Idempotency-Key, or can ask first).

/** The upstream answered with a server error: an outage, not an answer about the request. */
export class UpstreamFailed extends Error {
  override name = 'UpstreamFailed';
  /** Read by isInfrastructureError. */
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

export interface UpstreamPolicyOptions {
  /** For messages: which upstream. */
  name: string;
  /** Sends of a request that never reached the upstream, the first included. */
  maxAttempts?: number;
  /** Failures in a row that open the circuit. */
  breakAfter?: number;
  /** How long the circuit stays open before one call probes it. */
  halfOpenAfterMs?: number;
}

export interface UpstreamPolicy {
  run<T>(call: () => Promise<T>): Promise<T>;
}

const upstreamFailure = (error: unknown) =>
  error instanceof RequestNotSent ||
  error instanceof AnswerNeverCame ||
  error instanceof UpstreamFailed;

export function createUpstreamPolicy(options: UpstreamPolicyOptions): UpstreamPolicy {
  const breaker = circuitBreaker(handleWhen(upstreamFailure), {
    halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
    breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
  });
  const resend = retry(
    handleWhen((error) => error instanceof RequestNotSent),
    {
      maxAttempts: Math.max(0, (options.maxAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
    },
  );
  const policy = wrap(resend, breaker);
  return {
    async run(call) {
      try {
        return await policy.execute(() => call());
      } catch (error) {
        if (isBrokenCircuitError(error)) {
          // Open: nothing was sent. The caller treats it as the upstream being out of reach.
          throw new RequestNotSent(`${options.name}: circuit open after repeated failures`, {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}
