import { sql } from 'drizzle-orm';
import type { Role } from '../../platform/auth/access-token.ts';
import { hashPassword } from '../../platform/auth/passwords.ts';
import type { RegisterInput } from './contracts.ts';
import { type AccountDeps, countUsers, createAccountIn } from './service.ts';

type DemoAccount = Pick<RegisterInput, 'username' | 'email' | 'password' | 'displayName'> & {
  id: string;
  roles: Role[];
};

/**
 * Demo sign-ins; public on purpose (the entry point prints them), so never seed them in production
 * data. Their ids are fixed and users-service's seed uses the same, so the single-process run
 * starts with the same accounts in both stores.
 */
export const DEMO_ACCOUNTS = [
  {
    id: 'de300000-0000-4000-8000-000000000001',
    username: 'admin',
    email: 'admin@example.com',
    password: 'admin-password',
    displayName: 'Demo Admin',
    roles: ['admin'],
  },
  {
    id: 'de300000-0000-4000-8000-000000000002',
    username: 'customer',
    email: 'customer@example.com',
    password: 'customer-password',
    displayName: 'Demo Customer',
    roles: ['customer'],
  },
] as const satisfies readonly DemoAccount[];

/** Held while seeding, so two processes starting together seed once. */
const SEED_LOCK = sql`select pg_advisory_xact_lock(hashtext('users.seed'))`;

/** Adds the demo accounts when there are no accounts at all; returns how many it added. */
export async function seedUsers(deps: AccountDeps): Promise<number> {
  if ((await countUsers(deps.db)) > 0) return 0;
  // Hashed before the lock is taken, so the lock is held for milliseconds, not scrypt time.
  const hashes = await Promise.all(DEMO_ACCOUNTS.map((account) => hashPassword(account.password)));
  return deps.db.transaction(async (tx) => {
    await tx.execute(SEED_LOCK);
    if ((await countUsers(tx)) > 0) return 0;
    for (const [index, { password: _, roles, ...profile }] of DEMO_ACCOUNTS.entries()) {
      await createAccountIn(tx, deps.events, {
        ...profile,
        roles: [...roles],
        passwordHash: hashes[index]!,
      });
    }
    return DEMO_ACCOUNTS.length;
  });
}
