import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  codedProblem,
  errorType,
  type FieldError,
  type Problem,
  ProblemError,
  problemType,
  validationProblem,
} from '../../src/platform/http/problem.ts';

const codedValidationProblem = (target: string, errors: FieldError[]) =>
  validationProblem(target, errors, errorType('validation-failed'));

import { legacyProblem } from './users-problems.ts';

const id = randomUUID();
/** A problem as users-service answers it (its `instance` is the v1 path). */
const v1 = (error: ProblemError, instance = '/v1/accounts'): Problem => ({
  ...error.problem,
  instance,
});
const legacyStatusType = (status: number) => ({ type: problemType(status) });

describe('v1 problems → legacy problems and statuses', () => {
  it.each([
    [
      'login-name-taken',
      codedProblem(409, 'login-name-taken', 'That login name is already taken.', {
        errors: [{ path: 'json.login_name', message: 'already taken' }],
      }),
      {
        status: 409,
        title: 'Conflict',
        detail: 'That username is already taken.',
        errors: [{ path: 'json.username', message: 'already taken' }],
      },
    ],
    [
      'email-address-taken',
      codedProblem(409, 'email-address-taken', 'That email address is already taken.', {
        errors: [{ path: 'json.email_address', message: 'already taken' }],
      }),
      {
        status: 409,
        title: 'Conflict',
        detail: 'That email is already taken.',
        errors: [{ path: 'json.email', message: 'already taken' }],
      },
    ],
    [
      'invalid-credentials',
      codedProblem(401, 'invalid-credentials', 'The login or password is wrong.'),
      { status: 401, title: 'Unauthorized', detail: 'The login or password is wrong.' },
    ],
    [
      'current-password-wrong',
      codedProblem(403, 'current-password-wrong', 'The current password is wrong.', {
        errors: [{ path: 'json.current_password', message: 'does not match' }],
      }),
      {
        status: 403,
        title: 'Forbidden',
        detail: 'The current password is wrong.',
        errors: [{ path: 'json.currentPassword', message: 'does not match' }],
      },
    ],
    [
      'password-changed-meanwhile',
      codedProblem(409, 'password-changed-meanwhile', 'The password changed meanwhile; try again.'),
      { status: 409, title: 'Conflict', detail: 'The password changed meanwhile; try again.' },
    ],
    [
      'account-not-found',
      codedProblem(404, 'account-not-found', `Account ${id} does not exist.`),
      { status: 404, title: 'Not Found', detail: `User ${id} does not exist.` },
    ],
  ])('%s', (_code, error, expected) => {
    const translated = legacyProblem(v1(error), { instance: '/api/users/me' });
    expect(translated).toEqual({
      status: expected.status,
      body: { ...legacyStatusType(expected.status), ...expected, instance: '/api/users/me' },
    });
  });

  it('names the account the legacy request was about in a 404', () => {
    const other = randomUUID();
    const error = codedProblem(404, 'account-not-found', `Account ${other} does not exist.`);
    const { body } = legacyProblem(v1(error), { instance: '/api/users/me', accountId: id });
    expect(body.detail).toBe(`User ${id} does not exist.`);
  });

  it('validation-failed: a legacy 400 with every field path in legacy names, messages kept', () => {
    const problem = {
      ...codedValidationProblem('json', [
        { path: 'json.login_name', message: 'Too small' },
        { path: 'json.email_address', message: 'Invalid email address' },
        { path: 'json.display_name', message: 'must not contain control characters' },
        { path: 'json.current_password', message: 'a new password needs the current one' },
        { path: 'json.password', message: 'Too small' },
        { path: 'json.login', message: 'Too small' },
        { path: 'json', message: 'give at least one field to change' },
      ]),
      instance: '/v1/accounts',
    };
    expect(legacyProblem(problem, { instance: '/api/users' })).toEqual({
      status: 400,
      body: {
        type: problemType(400),
        title: 'Invalid request',
        status: 400,
        detail: 'The request json is invalid.',
        errors: [
          { path: 'json.username', message: 'Too small' },
          { path: 'json.email', message: 'Invalid email address' },
          { path: 'json.displayName', message: 'must not contain control characters' },
          { path: 'json.currentPassword', message: 'a new password needs the current one' },
          { path: 'json.password', message: 'Too small' },
          { path: 'json.login', message: 'Too small' },
          { path: 'json', message: 'give at least one field to change' },
        ],
        instance: '/api/users',
      },
    });
    const param = codedValidationProblem('param', [{ path: 'param.id', message: 'Invalid UUID' }]);
    expect(legacyProblem(param, { instance: '/api/users/x' }).body).toMatchObject({
      detail: 'The request param is invalid.',
      errors: [{ path: 'param.id', message: 'Invalid UUID' }],
    });
  });

  it.each([
    [401, new ProblemError(401, 'The access token is missing, malformed, forged or expired.')],
    [400, new ProblemError(400, 'Malformed JSON in request body')],
    [413, new ProblemError(413, 'The request body is larger than 1048576 bytes.')],
    [503, new ProblemError(503, 'A backing service (database or queue) is unavailable.')],
    [422, codedProblem(422, 'idempotency-key-reused', 'reused')],
    [409, codedProblem(409, 'idempotency-key-in-use', 'in flight')],
  ])('passes a %i the legacy API has no word for, only at the legacy path', (status, error) => {
    expect(legacyProblem(v1(error), { instance: '/api/users' })).toEqual({
      status,
      body: { ...error.problem, instance: '/api/users' },
    });
  });
});
