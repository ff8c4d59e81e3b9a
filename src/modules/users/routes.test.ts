import { randomUUID } from 'node:crypto';
import { and, count, eq, gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { errorPaths, expectProblem } from '../../../test/support/problem.ts';
import { verifyPassword } from '../../platform/auth/passwords.ts';
import { outbox } from '../../platform/bus/schema.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import type { AccessToken, User } from './contracts.ts';
import { createUsersModule, type UsersApi } from './index.ts';
import { accounts } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let users: Module<UsersApi>;
let harness: ModuleHarness;
let tokenFor: ModuleHarness['tokenFor'];
let ttlSeconds: number;

beforeAll(async () => {
  harness = await openModuleHarness('users-routes');
  ({ db, cleanup, tokenFor } = harness);
  ttlSeconds = harness.context.config.JWT_TTL_SECONDS;
  users = createUsersModule(harness.context, { signingKeys: harness.signingKeys });
  harness.mount(users);
});
afterAll(async () => {
  await cleanup();
});

const send = (method: string, path: string, body?: unknown, token?: string) =>
  harness.send(method, path, { token, body });

let serial = 0;
/** A fresh, valid sign-up; `overrides` replace fields. */
const newAccount = (overrides: Record<string, unknown> = {}) => {
  serial += 1;
  return {
    username: `user_${serial}_${randomUUID().slice(0, 8)}`,
    email: `user${serial}.${randomUUID().slice(0, 8)}@example.com`,
    password: `password-${serial}-secret`,
    ...overrides,
  };
};

async function registerOk(input: Record<string, unknown>): Promise<User> {
  const response = await send('POST', '/api/users', input);
  expect(response.status).toBe(201);
  return (await response.json()) as User;
}

async function loginOk(login: string, password: string): Promise<AccessToken> {
  const response = await send('POST', '/api/auth/login', { login, password });
  expect(response.status).toBe(200);
  return (await response.json()) as AccessToken;
}

/** A registered customer with a working token. */
async function signedUp(overrides: Record<string, unknown> = {}) {
  const input = newAccount(overrides);
  const user = await registerOk(input);
  const { accessToken } = await loginOk(input.username, input.password);
  return { input, user, token: accessToken };
}

const accountCount = async () => (await db.select({ total: count() }).from(accounts))[0]?.total;
const outboxCount = async () => (await db.select({ total: count() }).from(outbox))[0]?.total;
const eventsFor = (name: string, userId: string) =>
  db
    .select()
    .from(outbox)
    .where(and(eq(outbox.name, name), sql`${outbox.payload}->>'userId' = ${userId}`))
    .orderBy(outbox.createdAt);

describe('register → login → me → patch → get', () => {
  it('walks the whole account flow', async () => {
    const registered = await send('POST', '/api/users', {
      username: 'Alice.Smith',
      email: 'Alice.Smith@Example.COM',
      password: 'wonderland-2024',
      displayName: '  Alice  ',
    });
    expect(registered.status).toBe(201);
    const alice = (await registered.json()) as User;
    expect(registered.headers.get('location')).toBe(`/api/users/${alice.id}`);
    expect(alice).toEqual({
      id: expect.any(String),
      username: 'alice.smith',
      email: 'alice.smith@example.com',
      displayName: 'Alice',
      roles: ['customer'],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(alice)).not.toMatch(/password|scrypt|wonderland/i);

    // Username or email, in any case.
    const byName = await loginOk('ALICE.smith', 'wonderland-2024');
    const byEmail = await loginOk('alice.SMITH@example.com', 'wonderland-2024');
    for (const session of [byName, byEmail]) {
      expect(session.tokenType).toBe('Bearer');
      expect(session.user).toEqual(alice);
      const expiresIn = Date.parse(session.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan((ttlSeconds - 10) * 1000);
      expect(expiresIn).toBeLessThanOrEqual(ttlSeconds * 1000);
    }

    const me = await send('GET', '/api/users/me', undefined, byName.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual(alice);

    // Moved an hour back, so a patch that forgets to bump it cannot pass for one that does.
    const [stored] = await db
      .update(accounts)
      .set({ updatedAt: sql`${accounts.updatedAt} - interval '1 hour'` })
      .where(eq(accounts.id, alice.id))
      .returning({ updatedAt: accounts.updatedAt });
    const patched = await send(
      'PATCH',
      '/api/users/me',
      { email: 'alice@wonderland.example', displayName: 'Alice S.' },
      byName.accessToken,
    );
    expect(patched.status).toBe(200);
    const updated = (await patched.json()) as User;
    expect(updated).toMatchObject({
      id: alice.id,
      username: 'alice.smith',
      email: 'alice@wonderland.example',
      displayName: 'Alice S.',
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(stored!.updatedAt.getTime());

    const fetched = await send('GET', `/api/users/${alice.id}`, undefined, byEmail.accessToken);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(updated);
    expect(await users.api.getUser(alice.id)).toEqual({
      id: alice.id,
      username: 'alice.smith',
      email: 'alice@wonderland.example',
      roles: ['customer'],
      createdAt: alice.createdAt,
    });
  });
});

describe('registration', () => {
  it('stores a salted scrypt hash that is not the password and verifies it', async () => {
    const input = newAccount();
    const user = await registerOk(input);
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(row!.passwordHash).not.toContain(input.password);
    expect(row!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword(input.password, row!.passwordHash)).toBe(true);
    expect(await verifyPassword(`${input.password}x`, row!.passwordHash)).toBe(false);
  });

  it('always makes a customer, whatever roles the body asks for', async () => {
    const user = await registerOk(newAccount({ roles: ['admin'] }));
    expect(user.roles).toEqual(['customer']);
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(row!.roles).toEqual(['customer']);
  });

  it('publishes user.registered in the outbox, with the request id and no password', async () => {
    const input = newAccount();
    const response = await send('POST', '/api/users', input);
    const user = (await response.json()) as User;
    const events = await eventsFor('user.registered', user.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      userId: user.id,
      username: input.username,
      email: input.email,
    });
    expect(events[0]!.metadata.correlationId).toBe(response.headers.get('x-request-id'));
    expect(JSON.stringify(events[0])).not.toContain(input.password);
    expect(JSON.stringify(events[0])).not.toContain('scrypt');
  });

  it('answers 409 for a username or email already taken, in any case', async () => {
    const { input } = await signedUp();
    const before = await accountCount();
    const sameName = await expectProblem(
      await send('POST', '/api/users', newAccount({ username: input.username.toUpperCase() })),
      409,
    );
    expect(errorPaths(sameName)).toEqual(['json.username']);
    const sameEmail = await expectProblem(
      await send('POST', '/api/users', newAccount({ email: input.email.toUpperCase() })),
      409,
    );
    expect(errorPaths(sameEmail)).toEqual(['json.email']);
    expect(await accountCount()).toBe(before);
  });

  it('lets exactly one of ten concurrent sign-ups with one email through', async () => {
    const email = `race.${randomUUID().slice(0, 8)}@example.com`;
    const before = await outboxCount();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send('POST', '/api/users', newAccount({ email }))),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    const rows = await db.select().from(accounts).where(eq(accounts.email, email));
    expect(rows).toHaveLength(1);
    // The losers' transactions rolled back: one sign-up's events (user.registered and
    // user.changed, for users-service's store), not ten.
    expect(await outboxCount()).toBe((before ?? 0) + 2);
  });

  it('lets exactly one of ten concurrent sign-ups with one username through', async () => {
    const username = `race_${randomUUID().slice(0, 8)}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send('POST', '/api/users', newAccount({ username }))),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(9);
  });

  it('answers 400 with field paths for bad input, and writes nothing', async () => {
    const before = { accounts: await accountCount(), events: await outboxCount() };
    const cases: [unknown, string[]][] = [
      [newAccount({ username: 'ab' }), ['json.username']],
      [newAccount({ username: 'x'.repeat(33) }), ['json.username']],
      [newAccount({ username: 'no spaces' }), ['json.username']],
      [newAccount({ username: 'émile' }), ['json.username']],
      [newAccount({ email: 'not-an-email' }), ['json.email']],
      [newAccount({ password: 'short' }), ['json.password']],
      [newAccount({ password: 'x'.repeat(201) }), ['json.password']],
      [newAccount({ password: 12345678 }), ['json.password']],
      [newAccount({ displayName: '' }), ['json.displayName']],
      // PostgreSQL refuses NUL in text; it must be a 400 here, not a 500 from the insert.
      [newAccount({ displayName: 'a\u0000b' }), ['json.displayName']],
      [{}, ['json.username', 'json.email', 'json.password']],
    ];
    for (const [body, paths] of cases) {
      const problem = await expectProblem(await send('POST', '/api/users', body), 400);
      // A field may fail two rules (a NUL is also a control character): each path once here.
      const failed = [...new Set(errorPaths(problem))].sort();
      expect(failed, JSON.stringify(body)).toEqual(paths.sort());
    }
    for (const raw of ['not json', '[]', 'null', '"text"']) {
      expect((await send('POST', '/api/users', raw)).status, raw).toBe(400);
    }
    expect({ accounts: await accountCount(), events: await outboxCount() }).toEqual(before);
  });
});

describe('login', () => {
  it('answers 401 with one message for a wrong password and for an unknown login', async () => {
    const { input } = await signedUp();
    const wrong = await expectProblem(
      await send('POST', '/api/auth/login', { login: input.username, password: 'wrong-password' }),
      401,
    );
    const unknownName = await expectProblem(
      await send('POST', '/api/auth/login', { login: 'nobody_here', password: 'wrong-password' }),
      401,
    );
    const unknownEmail = await expectProblem(
      await send('POST', '/api/auth/login', {
        login: 'nobody@example.com',
        password: input.password,
      }),
      401,
    );
    expect(unknownName).toEqual(wrong);
    expect(unknownEmail).toEqual(wrong);
  });

  it('marks every login answer, above all the one with a token, as not to be stored by any cache', async () => {
    const { input } = await signedUp();
    const answers = {
      signedIn: await send('POST', '/api/auth/login', {
        login: input.username,
        password: input.password,
      }),
      wrongPassword: await send('POST', '/api/auth/login', {
        login: input.username,
        password: 'wrong-password',
      }),
    };
    const caching = Object.fromEntries(
      Object.entries(answers).map(([name, response]) => [
        name,
        {
          status: response.status,
          cacheControl: response.headers.get('cache-control'),
          pragma: response.headers.get('pragma'),
        },
      ]),
    );
    expect(caching).toEqual({
      signedIn: { status: 200, cacheControl: 'no-store', pragma: 'no-cache' },
      wrongPassword: { status: 401, cacheControl: 'no-store', pragma: 'no-cache' },
    });
  });

  it('answers 400 for a malformed login request', async () => {
    const problem = await expectProblem(await send('POST', '/api/auth/login', { login: '' }), 400);
    expect(errorPaths(problem).sort()).toEqual(['json.login', 'json.password']);
    const nul = await expectProblem(
      await send('POST', '/api/auth/login', { login: 'a\u0000', password: 'whatever-it-is' }),
      400,
    );
    expect([...new Set(errorPaths(nul))]).toEqual(['json.login']);
  });
});

describe('reading accounts', () => {
  it('shows an account to itself and to an admin, and 404 to another customer', async () => {
    const owner = await signedUp();
    const other = await signedUp();
    const admin = await tokenFor(['admin']);
    const path = `/api/users/${owner.user.id}`;
    expect((await send('GET', path, undefined, owner.token)).status).toBe(200);
    await expectProblem(await send('GET', path, undefined, other.token), 404);
    const asAdmin = await send('GET', path, undefined, admin);
    expect(asAdmin.status).toBe(200);
    expect(((await asAdmin.json()) as User).id).toBe(owner.user.id);
    // A stranger cannot tell an existing account from a missing one.
    const missing = await expectProblem(
      await send('GET', `/api/users/${randomUUID()}`, undefined, other.token),
      404,
    );
    expect(missing.detail).toMatch(/does not exist/);
    await expectProblem(await send('GET', `/api/users/${randomUUID()}`, undefined, admin), 404);
    const badId = await expectProblem(
      await send('GET', '/api/users/not-a-uuid', undefined, admin),
      400,
    );
    expect(errorPaths(badId)).toEqual(['param.id']);
  });

  it('answers 404 on /users/me when the account behind a valid token is gone', async () => {
    const token = await tokenFor(['customer']);
    await expectProblem(await send('GET', '/api/users/me', undefined, token), 404);
    await expectProblem(await send('PATCH', '/api/users/me', { displayName: 'x' }, token), 404);
  });

  it('offers getUser and stats to other modules', async () => {
    const { user } = await signedUp();
    expect(await users.api.getUser(user.id)).toEqual({
      id: user.id,
      username: user.username,
      email: user.email,
      roles: ['customer'],
      createdAt: user.createdAt,
    });
    expect(await users.api.getUser(randomUUID())).toBeUndefined();
    expect(await users.api.getUser('not-a-uuid')).toBeUndefined();
    expect(await users.api.stats()).toEqual({ users: await accountCount() });
  });
});

describe('changing your account', () => {
  it('publishes user.updated naming only the fields that changed, with no password', async () => {
    const { user, token } = await signedUp();
    const username = `renamed_${randomUUID().slice(0, 8)}`;
    const response = await send('PATCH', '/api/users/me', { username, email: user.email }, token);
    expect(response.status).toBe(200);
    const events = await eventsFor('user.updated', user.id);
    expect(events.map((event) => event.payload)).toEqual([
      { userId: user.id, username, email: user.email, changed: ['username'] },
    ]);

    // The same values again change nothing and publish nothing.
    const same = await send('PATCH', '/api/users/me', { username }, token);
    expect(same.status).toBe(200);
    expect(await eventsFor('user.updated', user.id)).toHaveLength(1);

    const cleared = await send('PATCH', '/api/users/me', { displayName: null }, token);
    expect(((await cleared.json()) as User).displayName).toBeNull();
  });

  it('changes the password only with the current one', async () => {
    const { input, user, token } = await signedUp();
    const missing = await expectProblem(
      await send('PATCH', '/api/users/me', { password: 'brand-new-secret' }, token),
      400,
    );
    expect(errorPaths(missing)).toEqual(['json.currentPassword']);
    const wrong = await expectProblem(
      await send(
        'PATCH',
        '/api/users/me',
        { password: 'brand-new-secret', currentPassword: 'not-my-password' },
        token,
      ),
      403,
    );
    expect(errorPaths(wrong)).toEqual(['json.currentPassword']);
    await loginOk(input.username, input.password);

    const changed = await send(
      'PATCH',
      '/api/users/me',
      { password: 'brand-new-secret', currentPassword: input.password },
      token,
    );
    expect(changed.status).toBe(200);
    await loginOk(input.username, 'brand-new-secret');
    await expectProblem(
      await send('POST', '/api/auth/login', { login: input.username, password: input.password }),
      401,
    );
    const events = await eventsFor('user.updated', user.id);
    expect(events.map((event) => (event.payload as { changed: string[] }).changed)).toEqual([
      ['password'],
    ]);
    expect(JSON.stringify(events)).not.toMatch(/brand-new-secret|scrypt/);
    expect(JSON.stringify(events)).not.toContain(input.password);
  });

  it('revokes the tokens issued before a password change, in its transaction, and only then', async () => {
    const { input, user, token } = await signedUp();
    await send('PATCH', '/api/users/me', { displayName: 'No password change' }, token);
    expect(await eventsFor('user.tokens_revoked', user.id)).toEqual([]);
    const [untouched] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(untouched!.tokensValidAfter).toBeNull();

    const changed = await send(
      'PATCH',
      '/api/users/me',
      { password: 'another-new-secret', currentPassword: input.password },
      token,
    );
    expect(changed.status).toBe(200);
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    const revoked = await eventsFor('user.tokens_revoked', user.id);
    expect(revoked.map((event) => [event.version, event.payload])).toEqual([
      [1, { userId: user.id, notBefore: row!.tokensValidAfter!.toISOString() }],
    ]);
  });

  it('answers 409 when the new username or email belongs to someone else', async () => {
    const taken = await signedUp();
    const { user, token } = await signedUp();
    const name = await expectProblem(
      await send('PATCH', '/api/users/me', { username: taken.input.username.toUpperCase() }, token),
      409,
    );
    expect(errorPaths(name)).toEqual(['json.username']);
    const mail = await expectProblem(
      await send('PATCH', '/api/users/me', { email: taken.input.email }, token),
      409,
    );
    expect(errorPaths(mail)).toEqual(['json.email']);
    expect(await eventsFor('user.updated', user.id)).toEqual([]);
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(row!.username).toBe(user.username);
  });

  it('answers 400 for an empty or invalid patch, and changes nothing', async () => {
    const { user, token } = await signedUp();
    const startedAt = new Date();
    for (const [body, paths] of [
      [{}, ['json']],
      [{ currentPassword: 'whatever-it-is' }, ['json']],
      [{ username: 'a' }, ['json.username']],
      [{ email: 'nope' }, ['json.email']],
      [{ password: 'short', currentPassword: 'x' }, ['json.password']],
    ] as const) {
      const problem = await expectProblem(await send('PATCH', '/api/users/me', body, token), 400);
      expect(errorPaths(problem), JSON.stringify(body)).toEqual(paths);
    }
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(toIso(row!.updatedAt)).toBe(user.updatedAt);
    const later = await db
      .select({ total: count() })
      .from(outbox)
      .where(and(eq(outbox.name, 'user.updated'), gt(outbox.createdAt, startedAt)));
    expect(later[0]?.total).toBe(0);
  });
});

const toIso = (date: Date) => date.toISOString();

describe('every signed-in route refuses a missing, expired or forged token', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/users/me'],
    ['PATCH', '/api/users/me', { displayName: 'Mallory' }],
    ['GET', `/api/users/${randomUUID()}`],
  ];

  it('answers 401 in all three cases', async () => {
    const { user } = await signedUp();
    const expired = await harness.expiredTokenFor(['admin'], user.id);
    const forged = await harness.forgedTokenFor(['admin'], user.id);
    for (const [method, path, body] of routes) {
      for (const [label, token] of [
        ['none', undefined],
        ['expired', expired],
        ['forged', forged],
      ] as const) {
        const response = await send(method, path, body, token);
        expect(response.status, `${method} ${path} with ${label} token`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    const [row] = await db.select().from(accounts).where(eq(accounts.id, user.id));
    expect(row!.displayName).toBeNull();
  });
});
