import { count, sql } from 'drizzle-orm';
import type { Role } from '../../src/platform/auth/access-token.ts';
import { hashPassword } from '../../src/platform/auth/passwords.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { insertAccount } from './create-account.ts';
import type { AccountsDeps } from './deps.ts';
import { accounts } from './schema.ts';

/**
 * The legacy module's demo sign-ins, with the same fixed ids, so the single-process run starts
 * with the same accounts on both sides (a test in test/extracted keeps the two lists equal).
 * Public on purpose: never in production data.
 */
export const DEMO_ACCOUNTS = [
  {
    id: 'de300000-0000-4000-8000-000000000001',
    login_name: 'admin',
    email_address: 'admin@example.com',
    password: 'admin-password',
    display_name: 'Demo Admin',
    roles: ['admin'],
  },
  {
    id: 'de300000-0000-4000-8000-000000000002',
    login_name: 'customer',
    email_address: 'customer@example.com',
    password: 'customer-password',
    display_name: 'Demo Customer',
    roles: ['customer'],
  },
] as const satisfies readonly {
  id: string;
  login_name: string;
  email_address: string;
  password: string;
  display_name: string;
  roles: readonly Role[];
}[];

/** Held while seeding, so two processes starting together seed once. */
const SEED_LOCK = sql`select pg_advisory_xact_lock(hashtext('users-service.seed'))`;

const countAccounts = async (db: Executor) =>
  (await db.select({ total: count() }).from(accounts))[0]?.total ?? 0;

/** Adds the demo accounts when there are no accounts at all; returns how many it added. */
export async function seedAccounts(deps: AccountsDeps): Promise<number> {
  if ((await countAccounts(deps.db)) > 0) return 0;
  // Hashed before the lock is taken, so the lock is held for milliseconds, not scrypt time.
  const hashes = await Promise.all(DEMO_ACCOUNTS.map((account) => hashPassword(account.password)));
  return deps.db.transaction(async (tx) => {
    await tx.execute(SEED_LOCK);
    if ((await countAccounts(tx)) > 0) return 0;
    // Both users sides seed these accounts, with the same ids: the legacy module announces them
    // (user.registered), so the demo customer is greeted once, not once per side.
    for (const [index, { password: _, roles, ...profile }] of DEMO_ACCOUNTS.entries()) {
      await insertAccount(
        tx,
        deps.events,
        { ...profile, roles: [...roles], passwordHash: hashes[index]! },
        undefined,
        { announce: false },
      );
    }
    return DEMO_ACCOUNTS.length;
  });
}
