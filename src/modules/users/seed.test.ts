import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import type { AccessToken } from './contracts.ts';
import { createUsersModule, DEMO_ACCOUNTS, type UsersApi } from './index.ts';
import { accounts } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let harness: ModuleHarness;
let users: Module<UsersApi>;

beforeAll(async () => {
  harness = await openModuleHarness('users-seed');
  ({ db, cleanup } = harness);
  users = createUsersModule(harness.context, { signingKeys: harness.signingKeys });
  harness.mount(users);
});
afterAll(async () => {
  await cleanup();
});

const accountCount = async () => (await db.select({ total: count() }).from(accounts))[0]?.total;

const login = async (login: string, password: string) => {
  const response = await harness.send('POST', '/api/auth/login', { body: { login, password } });
  expect(response.status).toBe(200);
  return (await response.json()) as AccessToken;
};

describe('users demo data', () => {
  it('creates an admin and a customer once, whose printed credentials sign in', async () => {
    await users.seed!();
    await users.seed!();
    await Promise.all([users.seed!(), users.seed!()]);
    expect(await accountCount()).toBe(2);

    const [admin, customer] = DEMO_ACCOUNTS;
    const adminSession = await login(admin.username, admin.password);
    expect(adminSession.user).toMatchObject({ username: 'admin', email: 'admin@example.com' });
    expect(adminSession.user.roles).toEqual(['admin']);
    const customerSession = await login(customer.email, customer.password);
    expect(customerSession.user.roles).toEqual(['customer']);

    // The admin reads the customer; the customer cannot read the admin.
    const read = (id: string, token: string) => harness.send('GET', `/api/users/${id}`, { token });
    expect((await read(customerSession.user.id, adminSession.accessToken)).status).toBe(200);
    expect((await read(adminSession.user.id, customerSession.accessToken)).status).toBe(404);

    const registered = await outboxEvents(db, 'user.registered');
    expect(registered).toHaveLength(2);
    expect(JSON.stringify(registered)).not.toMatch(/admin-password|customer-password|scrypt/);
    expect(await users.api.stats()).toEqual({ users: 2 });
  });

  it('adds nothing to a database that already has accounts', async () => {
    await db.delete(accounts).where(eq(accounts.username, 'admin'));
    await users.seed!();
    expect(await accountCount()).toBe(1);
  });
});
