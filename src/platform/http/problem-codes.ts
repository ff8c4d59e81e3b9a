import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type FieldError, type Problem, ProblemError, validationProblem } from './problem.ts';

// A service's errors carry their meaning as a stable code in the problem's `type`, never as the
// status alone: across a port, a 409 from a lock is not "login name taken".

const ERRORS_BASE = 'https://commerce.example/errors/';

/** `https://commerce.example/errors/<code>`. */
export const problemCodeType = (code: string) => `${ERRORS_BASE}${code}`;

/** The stable code of a problem whose `type` carries one; undefined for a bare status type. */
export function problemCodeOf(problem: Pick<Problem, 'type'>): string | undefined {
  return problem.type.startsWith(ERRORS_BASE) ? problem.type.slice(ERRORS_BASE.length) : undefined;
}

/** A problem with a stable code, thrown like any ProblemError. */
export function codedProblem(
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): ProblemError {
  return new ProblemError(status, detail, { ...extra, type: problemCodeType(code) });
}

/** The code a router puts on a request that fails its schema (`createRouter({ ... })`). */
export const VALIDATION_FAILED = 'validation-failed';

/** A 400 validation problem carrying the `validation-failed` code. */
export const codedValidationProblem = (target: string, errors: FieldError[]): Problem => ({
  ...validationProblem(target, errors),
  type: problemCodeType(VALIDATION_FAILED),
});
