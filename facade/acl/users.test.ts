import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Account,
  accountSchema,
  createAccountSchema,
  createSessionSchema,
  type Session,
  sessionSchema,
  updateAccountSchema,
} from '../../src/contracts/users/v1/index.ts';
import {
  type AccessToken,
  accessTokenSchema,
  loginSchema,
  registerSchema,
  type User,
  updateMeSchema,
  userSchema,
} from '../../src/modules/users/index.ts';
import { zodFieldErrors } from '../../src/platform/http/problem.ts';
import {
  accessTokenToSession,
  accountToUser,
  createAccountToRegister,
  createSessionToLogin,
  getMeRequest,
  getUserRequest,
  legacyLocation,
  legacySuccessBody,
  legacySuccessStatus,
  loginRequest,
  loginToCreateSession,
  registerRequest,
  registerToCreateAccount,
  sessionToAccessToken,
  updateAccountToUpdateMe,
  updateMeRequest,
  updateMeToUpdateAccount,
  userToAccount,
} from './users.ts';
import { legacyFieldPath } from './users-fields.ts';

const id = randomUUID();
const account: Account = {
  id,
  login_name: 'alice',
  email_address: 'alice@example.com',
  display_name: 'Alice Liddell',
  roles: ['customer'],
  created_at: '2026-01-02T03:04:05.678Z',
  updated_at: '2026-02-03T04:05:06.789Z',
};
const user: User = {
  id,
  username: 'alice',
  email: 'alice@example.com',
  roles: ['customer'],
  createdAt: '2026-01-02T03:04:05.678Z',
  displayName: 'Alice Liddell',
  updatedAt: '2026-02-03T04:05:06.789Z',
};

describe('legacy requests → v1 requests, field by field', () => {
  it('POST /api/users → POST /v1/accounts', () => {
    expect(
      registerRequest({
        username: 'Alice',
        email: 'A@example.com',
        password: 'secret-password',
        displayName: 'Alice',
      }),
    ).toEqual({
      method: 'POST',
      path: '/v1/accounts',
      body: {
        login_name: 'Alice',
        email_address: 'A@example.com',
        password: 'secret-password',
        display_name: 'Alice',
      },
    });
  });

  it('drops fields the legacy API ignores, v1 names included, and keeps values as sent', () => {
    expect(
      registerRequest({ username: 42, roles: ['admin'], login_name: 'sneaky', email: null }).body,
    ).toEqual({ login_name: 42, email_address: null });
  });

  it('passes a body that is not an object as it is', () => {
    for (const body of [[], null, 'text', 7, undefined]) {
      expect(registerRequest(body).body).toEqual(body);
    }
  });

  it('POST /api/auth/login → POST /v1/sessions', () => {
    expect(loginRequest({ login: 'alice', password: 'pw', extra: 1 })).toEqual({
      method: 'POST',
      path: '/v1/sessions',
      body: { login: 'alice', password: 'pw' },
    });
  });

  it('GET /api/users/{id} and /api/users/me → GET /v1/accounts/{id}', () => {
    expect(getUserRequest(id)).toEqual({ method: 'GET', path: `/v1/accounts/${id}` });
    expect(getMeRequest(id)).toEqual({ method: 'GET', path: `/v1/accounts/${id}` });
    expect(getUserRequest('a/b?c').path).toBe('/v1/accounts/a%2Fb%3Fc');
  });

  it("PATCH /api/users/me → PATCH /v1/accounts/{caller's id}", () => {
    expect(
      updateMeRequest(id, {
        username: 'bob',
        email: 'bob@example.com',
        displayName: null,
        password: 'new-password',
        currentPassword: 'old-password',
      }),
    ).toEqual({
      method: 'PATCH',
      path: `/v1/accounts/${id}`,
      body: {
        login_name: 'bob',
        email_address: 'bob@example.com',
        display_name: null,
        password: 'new-password',
        current_password: 'old-password',
      },
    });
  });
});

describe('v1 answers → legacy answers, field by field', () => {
  it('an account is a legacy user', () => {
    expect(accountToUser(account)).toEqual(user);
    expect(Object.keys(accountToUser(account))).toEqual(Object.keys(userSchema.shape));
    expect(accountToUser({ ...account, display_name: null, roles: ['admin'] })).toMatchObject({
      displayName: null,
      roles: ['admin'],
    });
  });

  it('a session is a legacy access token', () => {
    const session: Session = {
      access_token: 'eyJ.token',
      token_type: 'Bearer',
      expires_at: '2026-01-01T01:00:00.000Z',
      account,
    };
    expect(sessionToAccessToken(session)).toEqual({
      accessToken: 'eyJ.token',
      tokenType: 'Bearer',
      expiresAt: '2026-01-01T01:00:00.000Z',
      user,
    });
  });

  it.each([
    ['register', 201, 201],
    ['login', 201, 200],
    ['getUser', 200, 200],
    ['getMe', 200, 200],
    ['updateMe', 200, 200],
  ] as const)('%s: v1 %i → legacy %i', (operation, v1Status, legacyStatus) => {
    expect(legacySuccessStatus(operation, v1Status)).toBe(legacyStatus);
  });

  it('picks the body translation by operation', () => {
    const session = accessTokenToSession(
      sessionToAccessToken({
        access_token: 't',
        token_type: 'Bearer',
        expires_at: account.created_at,
        account,
      }),
    );
    expect(legacySuccessBody('login', session)).toEqual(sessionToAccessToken(session));
    for (const operation of ['register', 'getUser', 'getMe', 'updateMe'] as const) {
      expect(legacySuccessBody(operation, account)).toEqual(user);
    }
  });

  it('maps the Location of a new account to the legacy path', () => {
    expect(legacyLocation(`/v1/accounts/${id}`)).toBe(`/api/users/${id}`);
    expect(legacyLocation('/elsewhere')).toBe('/elsewhere');
  });
});

// ── properties ─────────────────────────────────────────────────────────────────────────

const isoDate = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((date) => date.toISOString());
const loginName = fc.stringMatching(/^[a-z0-9_.-]{3,32}$/);
const emailAddress = fc
  .emailAddress()
  .filter((email) => createAccountSchema.shape.email_address.safeParse(email).success);
const displayName = fc.string({ minLength: 1, maxLength: 100 });
const roles = fc.subarray(['customer', 'admin'] as const, { minLength: 1 });

const arbitraryUser: fc.Arbitrary<User> = fc.record({
  id: fc.uuid(),
  username: loginName,
  email: emailAddress,
  roles,
  createdAt: isoDate,
  displayName: fc.option(displayName, { nil: null }),
  updatedAt: isoDate,
});

/** Values that pass and values that fail the rules, for each field a client sends. */
const anyValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  loginName,
  emailAddress,
  fc.constantFrom('', ' ', 'ab', 'A'.repeat(300), 'a\u0007b', 'x@', 'Alice', 'secret-password'),
  fc.jsonValue(),
);
const clientBody = (fields: string[]) =>
  fc.oneof(
    fc.dictionary(fc.constantFrom(...fields, 'roles', 'login_name', 'other'), anyValue),
    fc.jsonValue(),
  );

const legacyPaths = (error: Parameters<typeof zodFieldErrors>[1]) =>
  zodFieldErrors('json', error).map(({ path, message }) => ({ path, message }));

describe('round trips and parity (fast-check)', () => {
  it('user → account → user, and account → user → account', () => {
    fc.assert(
      fc.property(arbitraryUser, (legacyUser) => {
        expect(accountSchema.parse(userToAccount(legacyUser))).toEqual(userToAccount(legacyUser));
        expect(accountToUser(userToAccount(legacyUser))).toEqual(legacyUser);
        const v1 = userToAccount(legacyUser);
        expect(userToAccount(accountToUser(v1))).toEqual(v1);
      }),
    );
  });

  it('access token → session → access token', () => {
    const token: fc.Arbitrary<AccessToken> = fc.record({
      accessToken: fc.string({ minLength: 1 }),
      tokenType: fc.constant('Bearer' as const),
      expiresAt: isoDate,
      user: arbitraryUser,
    });
    fc.assert(
      fc.property(token, (legacyToken) => {
        const session = accessTokenToSession(legacyToken);
        expect(sessionSchema.parse(session)).toEqual(session);
        expect(accessTokenSchema.parse(sessionToAccessToken(session))).toEqual(legacyToken);
      }),
    );
  });

  it('valid legacy bodies translate to valid v1 bodies and back unchanged', () => {
    const register = fc.record(
      {
        username: loginName,
        email: emailAddress,
        password: fc.string({ minLength: 8, maxLength: 200 }),
        displayName: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}[a-z]$/),
      },
      { requiredKeys: ['username', 'email', 'password'] },
    );
    fc.assert(
      fc.property(register, (body) => {
        const legacy = registerSchema.parse(body);
        const v1 = createAccountSchema.parse(registerToCreateAccount(legacy));
        expect(createAccountToRegister(v1)).toEqual(legacy);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ login: loginName, password: fc.string({ minLength: 1, maxLength: 200 }) }),
        (body) => {
          const legacy = loginSchema.parse(body);
          expect(
            createSessionToLogin(createSessionSchema.parse(loginToCreateSession(legacy))),
          ).toEqual(legacy);
        },
      ),
    );
    const patch = fc.record(
      {
        username: loginName,
        email: emailAddress,
        displayName: fc.option(fc.constantFrom('Alice', 'Bob B'), { nil: null }),
        password: fc.string({ minLength: 8, maxLength: 200 }),
        currentPassword: fc.string({ minLength: 1, maxLength: 200 }),
      },
      { requiredKeys: ['username', 'currentPassword'] },
    );
    fc.assert(
      fc.property(patch, (body) => {
        const legacy = updateMeSchema.parse(body);
        const v1 = updateAccountSchema.parse(updateMeToUpdateAccount(legacy));
        expect(updateAccountToUpdateMe(v1)).toEqual(legacy);
      }),
    );
  });

  it.each([
    [
      'register',
      registerSchema,
      createAccountSchema,
      registerRequest,
      ['username', 'email', 'password', 'displayName'],
    ],
    ['login', loginSchema, createSessionSchema, loginRequest, ['login', 'password']],
    [
      'updateMe',
      updateMeSchema,
      updateAccountSchema,
      (body: unknown) => updateMeRequest(id, body),
      ['username', 'email', 'displayName', 'password', 'currentPassword'],
    ],
  ] as const)(
    '%s: any body the client sends, v1 accepts it exactly when legacy does, with the same field errors in legacy names',
    (_name, legacySchema, v1Schema, translate, fields) => {
      fc.assert(
        fc.property(clientBody([...fields]), (body) => {
          // The ACL renames v1's error paths back with legacyFieldPath (users-problems.ts).
          const outcome = (
            result: ReturnType<typeof legacySchema.safeParse>,
            rename = (path: string) => path,
          ) => ({
            success: result.success,
            errors: result.success
              ? []
              : legacyPaths(result.error).map((error) => ({ ...error, path: rename(error.path) })),
          });
          expect(outcome(v1Schema.safeParse(translate(body).body), legacyFieldPath)).toEqual(
            outcome(legacySchema.safeParse(body)),
          );
        }),
        { numRuns: 300 },
      );
    },
  );
});
