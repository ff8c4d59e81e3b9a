import { expect } from 'vitest';
import {
  PROBLEM_CONTENT_TYPE,
  type Problem,
  ProblemError,
} from '../../src/platform/http/problem.ts';

/** Asserts a problem+json answer with this status (header and body agree); returns the body. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
  const body = (await response.json()) as Problem;
  expect(body.status).toBe(status);
  return body;
}

/** The field paths a validation problem names, e.g. `json.price.amountMinor`. */
export const errorPaths = (problem: Problem): string[] =>
  problem.errors?.map((error) => error.path) ?? [];

/** The ProblemError `promise` rejects with; fails the test if it resolves or throws otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}
