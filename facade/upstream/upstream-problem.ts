import { ProblemError } from '../../src/platform/http/problem.ts';
import {
  ClientGone,
  UpstreamBroken,
  UpstreamRejected,
  UpstreamTimeout,
} from './upstream-errors.ts';

// How an upstream's failure reads to the client: down (nothing reached it) is a 503 with
// Retry-After, no answer by the deadline a 504, an answer broken off a 502. Thrown, each is
// answered as problem+json by the app's onError.

/** What a client is told to wait before trying again when an upstream is down. */
const RETRY_AFTER_SECONDS = '5';

const refusals: Record<UpstreamRejected['reason'], string> = {
  'connect-error': 'cannot be reached',
  'circuit-open': 'is failing; calls to it are paused',
  'bulkhead-full': 'is at its limit of calls at once',
  'no-instance': 'has no healthy instance',
};

/** The problem for an upstream error; undefined for any other error (it is not ours to map). */
export function upstreamProblem(error: unknown): ProblemError | undefined {
  if (error instanceof UpstreamRejected) {
    return new ProblemError(
      503,
      `The ${error.upstream} upstream ${refusals[error.reason]}. Retry shortly.`,
      { headers: { 'Retry-After': RETRY_AFTER_SECONDS } },
    );
  }
  if (error instanceof UpstreamTimeout) {
    return new ProblemError(
      504,
      `The ${error.upstream} upstream did not answer in time; the request may have been carried out.`,
    );
  }
  if (error instanceof UpstreamBroken) {
    return new ProblemError(
      502,
      `The ${error.upstream} upstream's answer broke off; the request may have been carried out.`,
      { title: 'Bad Gateway' },
    );
  }
  if (error instanceof ClientGone) {
    // Nobody reads this answer; the status (nginx's 499) is for the access log.
    return new ProblemError(499 as 400, `The client went away before ${error.upstream} answered.`, {
      title: 'Client Closed Request',
    });
  }
  return undefined;
}
