import {
  errorCodeOf,
  type Problem,
  ProblemError,
  validationProblem,
} from '../../src/platform/http/problem.ts';
import { legacyFieldPath } from './users-fields.ts';

// users-service's problems as the legacy users API answers them: the same status, title,
// detail and field errors (in legacy names), and the legacy `type` (a status link, no code).

export interface LegacyProblemContext {
  /** The legacy request's path, the answer's `instance`. */
  instance: string;
  /** The account the request was about (a 404 names it): the path's id, or the caller's. */
  accountId?: string;
}

const legacy = (
  status: ProblemError['status'],
  detail: string,
  errors?: Problem['errors'],
): Problem => new ProblemError(status, detail, errors ? { errors } : {}).problem;

/** Each v1 code with the problem the legacy module answers in its place. */
const byCode: Record<string, (problem: Problem, context: LegacyProblemContext) => Problem> = {
  'validation-failed': (problem) => {
    const target = /^The request (\w+) is invalid\.$/.exec(problem.detail ?? '')?.[1] ?? 'json';
    return validationProblem(
      target,
      (problem.errors ?? []).map((error) => ({ ...error, path: legacyFieldPath(error.path) })),
    );
  },
  'login-name-taken': () =>
    legacy(409, 'That username is already taken.', [
      { path: 'json.username', message: 'already taken' },
    ]),
  'email-address-taken': () =>
    legacy(409, 'That email is already taken.', [{ path: 'json.email', message: 'already taken' }]),
  'invalid-credentials': () => legacy(401, 'The login or password is wrong.'),
  'current-password-wrong': () =>
    legacy(403, 'The current password is wrong.', [
      { path: 'json.currentPassword', message: 'does not match' },
    ]),
  'password-changed-meanwhile': () => legacy(409, 'The password changed meanwhile; try again.'),
  'account-not-found': (problem, { accountId }) =>
    legacy(
      404,
      `User ${accountId ?? /^Account (\S+) does not exist\.$/.exec(problem.detail ?? '')?.[1]} does not exist.`,
    ),
};

/**
 * The legacy answer to a v1 problem. Codes the legacy API has no word for (an Idempotency-Key
 * the facade sent) and uncoded problems (a bad token, a body too large, a 503) pass with
 * their status, only `instance` set to the legacy path.
 */
export function legacyProblem(
  problem: Problem,
  context: LegacyProblemContext,
): { status: number; body: Problem } {
  const code = errorCodeOf(problem.type);
  const translate = code === undefined ? undefined : byCode[code];
  const body = translate ? translate(problem, context) : { ...problem };
  return { status: body.status, body: { ...body, instance: context.instance } };
}
