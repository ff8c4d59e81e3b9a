import { randomUUID } from 'node:crypto';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Session } from '../../src/contracts/users/v1/index.ts';
import { verifyPassword } from '../../src/platform/auth/passwords.ts';
import { outbox } from '../../src/platform/bus/schema.ts';
import type { Problem } from '../../src/platform/http/problem.ts';
import {
  type RunningUsersService,
  startUsersServiceOnPostgres,
} from '../../test/extracted/users-service/running-users-service.ts';
import { errorPaths, expectProblem } from '../../test/support/problem.ts';
import { accounts } from './schema.ts';

let running: RunningUsersService;

beforeAll(async () => {
  running = await startUsersServiceOnPostgres('users-service-accounts');
});
afterAll(async () => {
  await running.cleanup();
});

const send = (method: string, path: string, body?: unknown, token?: string) =>
  running.send(method, path, { body, token });

const code = (problem: Problem) => problem.type.replace('https://commerce.example/errors/', '');

let serial = 0;
/** A fresh, valid sign-up; `overrides` replace fields. */
const newAccount = (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  const tag = randomUUID().slice(0, 8);
  return {
    login_name: `user_${serial}_${tag}`,
    email_address: `user${serial}.${tag}@example.com`,
    password: `password-${serial}-secret`,
    ...overrides,
  };
};

async function createOk(input: Record<string, unknown>): Promise<Account> {
  const response = await send('POST', '/v1/accounts', input);
  expect(response.status).toBe(201);
  return (await response.json()) as Account;
}

async function sessionOk(login: string, password: string): Promise<Session> {
  const response = await send('POST', '/v1/sessions', { login, password });
  expect(response.status).toBe(201);
  return (await response.json()) as Session;
}

async function signedUp(overrides: Record<string, unknown> = {}) {
  const input = newAccount(overrides);
  const account = await createOk(input);
  const { access_token } = await sessionOk(input.login_name, input.password);
  return { input, account, token: access_token };
}

const state = async () => ({
  accounts: (await running.db.select({ total: count() }).from(accounts))[0]?.total,
  events: (await running.db.select({ total: count() }).from(outbox))[0]?.total,
});
const eventsFor = (name: string, userId: string) =>
  running.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.name, name), sql`${outbox.payload}->>'userId' = ${userId}`))
    .orderBy(outbox.createdAt);
const rowOf = async (id: string) =>
  (await running.db.select().from(accounts).where(eq(accounts.id, id)))[0];

describe('POST /v1/accounts', () => {
  it('creates a customer with lowercased names, ISO timestamps and a Location', async () => {
    const input = newAccount({ display_name: '  Alice Liddell ' });
    const response = await send('POST', '/v1/accounts', {
      ...input,
      login_name: input.login_name.toUpperCase(),
      email_address: input.email_address.toUpperCase(),
      roles: ['admin'],
    });
    expect(response.status).toBe(201);
    const account = (await response.json()) as Account;
    expect(account).toEqual({
      id: expect.any(String),
      login_name: input.login_name,
      email_address: input.email_address,
      display_name: 'Alice Liddell',
      roles: ['customer'],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: account.created_at,
    });
    expect(response.headers.get('location')).toBe(`/v1/accounts/${account.id}`);
    const row = await rowOf(account.id);
    expect(row!.roles).toEqual(['customer']);
    expect(row!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword(input.password, row!.passwordHash)).toBe(true);
  });

  it('publishes user.registered v1 in its own outbox, with the request id and no password', async () => {
    const input = newAccount();
    const response = await send('POST', '/v1/accounts', input);
    const account = (await response.json()) as Account;
    const events = await eventsFor('user.registered', account.id);
    expect(events.map(({ version, payload }) => ({ version, payload }))).toEqual([
      {
        version: 1,
        payload: { userId: account.id, username: input.login_name, email: input.email_address },
      },
    ]);
    expect(events[0]!.metadata.correlationId).toBe(response.headers.get('x-request-id'));
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${input.password}|scrypt`));
  });

  it('answers 409 login-name-taken or email-address-taken in any case, and writes nothing', async () => {
    const { input } = await signedUp();
    const before = await state();
    const name = await expectProblem(
      await send(
        'POST',
        '/v1/accounts',
        newAccount({ login_name: input.login_name.toUpperCase() }),
      ),
      409,
    );
    const mail = await expectProblem(
      await send(
        'POST',
        '/v1/accounts',
        newAccount({ email_address: input.email_address.toUpperCase() }),
      ),
      409,
    );
    expect([code(name), errorPaths(name), code(mail), errorPaths(mail)]).toEqual([
      'login-name-taken',
      ['json.login_name'],
      'email-address-taken',
      ['json.email_address'],
    ]);
    expect(await state()).toEqual(before);
  });

  it('lets exactly one of ten concurrent sign-ups with one email address through', async () => {
    const email_address = `race.${randomUUID().slice(0, 8)}@example.com`;
    const before = await state();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send('POST', '/v1/accounts', newAccount({ email_address }))),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([
      201,
      ...Array(9).fill(409),
    ]);
    // One sign-up's events: user.registered and user.changed (for the legacy store).
    expect(await state()).toEqual({ accounts: before.accounts! + 1, events: before.events! + 2 });
  });

  it('answers 400 validation-failed with field paths for bad input, and writes nothing', async () => {
    const before = await state();
    const cases: [unknown, string[]][] = [
      [newAccount({ login_name: 'ab' }), ['json.login_name']],
      [newAccount({ login_name: 'no spaces' }), ['json.login_name']],
      [newAccount({ email_address: 'not-an-email' }), ['json.email_address']],
      [newAccount({ password: 'short' }), ['json.password']],
      [newAccount({ password: 'x'.repeat(201) }), ['json.password']],
      [newAccount({ display_name: '' }), ['json.display_name']],
      [newAccount({ display_name: 'a\u0007b' }), ['json.display_name']],
      [newAccount({ display_name: 'a\u0000b' }), ['json.display_name']],
      [{}, ['json.email_address', 'json.login_name', 'json.password']],
      [[], ['json']],
    ];
    for (const [body, paths] of cases) {
      const problem = await expectProblem(await send('POST', '/v1/accounts', body), 400);
      expect(
        { code: code(problem), paths: [...new Set(errorPaths(problem))].sort() },
        JSON.stringify(body),
      ).toEqual({ code: 'validation-failed', paths });
    }
    await expectProblem(await send('POST', '/v1/accounts', 'not json'), 400);
    expect(await state()).toEqual(before);
  });
});

describe('Idempotency-Key on POST /v1/accounts', () => {
  const create = (body: unknown, key: string) =>
    running.send('POST', '/v1/accounts', { body, headers: { 'idempotency-key': key } });

  it('answers the first answer again for the same key and body, creating one account', async () => {
    const key = randomUUID();
    const input = newAccount();
    const before = await state();
    const first = await create(input, key);
    // The same request with its fields in another order is the same request.
    const { password, ...rest } = input;
    const again = await create({ password, ...rest }, key);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(await again.json()).toEqual(await first.json());
    expect([
      first.headers.get('idempotent-replayed'),
      again.headers.get('idempotent-replayed'),
    ]).toEqual([null, 'true']);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    // One sign-up's events: user.registered and user.changed (for the legacy store).
    expect(await state()).toEqual({ accounts: before.accounts! + 1, events: before.events! + 2 });
  });

  it('answers 422 idempotency-key-reused for the same key with another body, creating nothing', async () => {
    const key = randomUUID();
    const input = newAccount();
    expect((await create(input, key)).status).toBe(201);
    const before = await state();
    for (const other of [newAccount(), { ...input, password: 'another-password' }]) {
      const problem = await expectProblem(await create(other, key), 422);
      expect(code(problem)).toBe('idempotency-key-reused');
    }
    expect(await state()).toEqual(before);
  });

  it('answers a refused first request (409) the same way again', async () => {
    const { input } = await signedUp();
    const key = randomUUID();
    const taken = newAccount({ login_name: input.login_name });
    const first = await expectProblem(await create(taken, key), 409);
    const again = await expectProblem(await create(taken, key), 409);
    expect({ ...again, instance: undefined }).toEqual({ ...first, instance: undefined });
    expect(code(again)).toBe('login-name-taken');
  });

  it('keeps two callers with the same key apart', async () => {
    const key = randomUUID();
    const asCaller = async (body: unknown) =>
      running.send('POST', '/v1/accounts', {
        body,
        headers: { 'idempotency-key': key },
        token: await running.tokenFor(['admin']),
      });
    expect((await create(newAccount(), key)).status).toBe(201);
    expect((await asCaller(newAccount())).status).toBe(201);
  });
});

describe('POST /v1/sessions', () => {
  it('signs in by login name or email address, with a no-store answer', async () => {
    const { input, account } = await signedUp();
    const response = await send('POST', '/v1/sessions', {
      login: input.email_address.toUpperCase(),
      password: input.password,
    });
    expect(response.status).toBe(201);
    expect([response.headers.get('cache-control'), response.headers.get('pragma')]).toEqual([
      'no-store',
      'no-cache',
    ]);
    const session = (await response.json()) as Session;
    expect(session).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_at: expect.stringMatching(/Z$/),
      account,
    });
    // The token lives USERS_SERVICE_JWT_TTL_SECONDS, and expires_at says when it ends.
    const claims = JSON.parse(
      Buffer.from(session.access_token.split('.')[1]!, 'base64url').toString(),
    ) as { iat: number; exp: number };
    expect({
      lifetime: claims.exp - claims.iat,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    }).toEqual({
      lifetime: running.config.USERS_SERVICE_JWT_TTL_SECONDS,
      expiresAt: session.expires_at,
    });
    const own = await send('GET', `/v1/accounts/${account.id}`, undefined, session.access_token);
    expect(own.status).toBe(200);
  });

  it('answers one 401 invalid-credentials for a wrong password and an unknown login', async () => {
    const { input } = await signedUp();
    const answers = await Promise.all(
      [
        { login: input.login_name, password: 'wrong-password' },
        { login: 'nobody_here', password: 'wrong-password' },
        { login: 'nobody@example.com', password: input.password },
      ].map((body) => send('POST', '/v1/sessions', body)),
    );
    const problems = await Promise.all(answers.map((answer) => expectProblem(answer, 401)));
    expect(new Set(problems.map((problem) => JSON.stringify(problem))).size).toBe(1);
    expect(code(problems[0]!)).toBe('invalid-credentials');
    expect(answers[0]!.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 400 validation-failed for a malformed request', async () => {
    const problem = await expectProblem(await send('POST', '/v1/sessions', { login: '' }), 400);
    expect([code(problem), errorPaths(problem).sort()]).toEqual([
      'validation-failed',
      ['json.login', 'json.password'],
    ]);
    const control = await expectProblem(
      await send('POST', '/v1/sessions', { login: 'a\u0001', password: 'whatever-it-is' }),
      400,
    );
    expect(errorPaths(control)).toEqual(['json.login']);
  });
});

describe('GET /v1/accounts/{id}', () => {
  it('shows an account to itself and to an admin, and 404 account-not-found to anyone else', async () => {
    const owner = await signedUp();
    const other = await signedUp();
    const admin = await running.tokenFor(['admin']);
    const path = `/v1/accounts/${owner.account.id}`;
    const statuses = {
      owner: (await send('GET', path, undefined, owner.token)).status,
      admin: (await send('GET', path, undefined, admin)).status,
    };
    expect(statuses).toEqual({ owner: 200, admin: 200 });
    const hidden = await expectProblem(await send('GET', path, undefined, other.token), 404);
    const missing = await expectProblem(
      await send('GET', `/v1/accounts/${randomUUID()}`, undefined, admin),
      404,
    );
    expect([code(hidden), code(missing)]).toEqual(['account-not-found', 'account-not-found']);
    const badId = await expectProblem(
      await send('GET', '/v1/accounts/not-a-uuid', undefined, admin),
      400,
    );
    expect([code(badId), errorPaths(badId)]).toEqual(['validation-failed', ['param.id']]);
    await expectProblem(await send('GET', path), 401);
  });
});

describe('PATCH /v1/accounts/{id}', () => {
  const patch = (id: string, body: unknown, token: string) =>
    send('PATCH', `/v1/accounts/${id}`, body, token);

  it('publishes user.updated v1 naming only the fields that changed', async () => {
    const { account, token } = await signedUp();
    const login_name = `renamed_${randomUUID().slice(0, 8)}`;
    const renamed = await patch(
      account.id,
      { login_name, email_address: account.email_address },
      token,
    );
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as Account).login_name).toBe(login_name);
    // The same values again change nothing and publish nothing.
    expect((await patch(account.id, { login_name }, token)).status).toBe(200);
    const named = await patch(account.id, { display_name: 'Alice' }, token);
    expect(((await named.json()) as Account).display_name).toBe('Alice');
    const cleared = await patch(account.id, { display_name: null }, token);
    expect(((await cleared.json()) as Account).display_name).toBeNull();
    const events = await eventsFor('user.updated', account.id);
    expect(events.map((event) => event.payload)).toEqual([
      {
        userId: account.id,
        username: login_name,
        email: account.email_address,
        changed: ['username'],
      },
      {
        userId: account.id,
        username: login_name,
        email: account.email_address,
        changed: ['displayName'],
      },
      {
        userId: account.id,
        username: login_name,
        email: account.email_address,
        changed: ['displayName'],
      },
    ]);
  });

  it('changes the password only with the current one', async () => {
    const { input, account, token } = await signedUp();
    const missing = await expectProblem(
      await patch(account.id, { password: 'brand-new-secret' }, token),
      400,
    );
    expect([code(missing), errorPaths(missing)]).toEqual([
      'validation-failed',
      ['json.current_password'],
    ]);
    const wrong = await expectProblem(
      await patch(
        account.id,
        { password: 'brand-new-secret', current_password: 'not-mine-at-all' },
        token,
      ),
      403,
    );
    expect([code(wrong), errorPaths(wrong)]).toEqual([
      'current-password-wrong',
      ['json.current_password'],
    ]);
    await sessionOk(input.login_name, input.password);

    const changed = await patch(
      account.id,
      { password: 'brand-new-secret', current_password: input.password },
      token,
    );
    expect(changed.status).toBe(200);
    await sessionOk(input.login_name, 'brand-new-secret');
    await expectProblem(
      await send('POST', '/v1/sessions', { login: input.login_name, password: input.password }),
      401,
    );
    const events = await eventsFor('user.updated', account.id);
    expect(events.map((event) => (event.payload as { changed: string[] }).changed)).toEqual([
      ['password'],
    ]);
    expect(JSON.stringify(events)).not.toMatch(/brand-new-secret|scrypt/);
    // Every verifier refuses the tokens issued before the change, once this reaches it.
    const row = await rowOf(account.id);
    expect(
      (await eventsFor('user.tokens_revoked', account.id)).map((event) => event.payload),
    ).toEqual([{ userId: account.id, notBefore: row?.tokensValidAfter?.toISOString() }]);
  });

  it('answers 409 when the new login name or email address belongs to someone else', async () => {
    const taken = await signedUp();
    const { account, token } = await signedUp();
    const name = await expectProblem(
      await patch(account.id, { login_name: taken.input.login_name.toUpperCase() }, token),
      409,
    );
    const mail = await expectProblem(
      await patch(account.id, { email_address: taken.input.email_address }, token),
      409,
    );
    expect([code(name), errorPaths(name), code(mail), errorPaths(mail)]).toEqual([
      'login-name-taken',
      ['json.login_name'],
      'email-address-taken',
      ['json.email_address'],
    ]);
    expect(await eventsFor('user.updated', account.id)).toEqual([]);
    expect((await rowOf(account.id))!.loginName).toBe(account.login_name);
  });

  it("refuses another customer's account with 404 and changes nothing; an admin may change it", async () => {
    const owner = await signedUp();
    const other = await signedUp();
    const hidden = await expectProblem(
      await patch(owner.account.id, { display_name: 'Mallory' }, other.token),
      404,
    );
    expect(code(hidden)).toBe('account-not-found');
    expect((await rowOf(owner.account.id))!.displayName).toBeNull();
    const asAdmin = await patch(
      owner.account.id,
      { display_name: 'Set by admin' },
      await running.tokenFor(['admin']),
    );
    expect(asAdmin.status).toBe(200);
    expect((await rowOf(owner.account.id))!.displayName).toBe('Set by admin');
  });

  it('answers 400 validation-failed for an empty or invalid patch, and changes nothing', async () => {
    const { account, token } = await signedUp();
    const before = await state();
    for (const [body, paths] of [
      [{}, ['json']],
      [{ current_password: 'whatever-it-is' }, ['json']],
      [{ login_name: 'a' }, ['json.login_name']],
      [{ email_address: 'nope' }, ['json.email_address']],
      [{ display_name: 'tab\there' }, ['json.display_name']],
      [{ password: 'short', current_password: 'x' }, ['json.password']],
    ] as const) {
      const problem = await expectProblem(await patch(account.id, body, token), 400);
      expect([code(problem), errorPaths(problem)], JSON.stringify(body)).toEqual([
        'validation-failed',
        paths,
      ]);
    }
    expect((await rowOf(account.id))!.updatedAt.toISOString()).toBe(account.updated_at);
    expect(await state()).toEqual(before);
  });

  it('answers 404 account-not-found when the account behind a valid token is gone', async () => {
    const id = randomUUID();
    const problem = await expectProblem(
      await patch(id, { display_name: 'x' }, await running.tokenFor(['customer'], id)),
      404,
    );
    expect(code(problem)).toBe('account-not-found');
  });
});
