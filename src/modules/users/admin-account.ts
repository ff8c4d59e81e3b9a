import { z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { hashPassword } from '../../platform/auth/passwords.ts';
import type { Executor } from '../../platform/db/database.ts';
import { conflict } from '../../platform/http/problem.ts';
import { emailSchema, passwordSchema, type User, usernameSchema } from './contracts.ts';
import { accounts } from './schema.ts';
import { type AccountDeps, createAccountIn, rethrowTaken, toUser } from './service.ts';

/** The first admin's sign-in; the same rules as a sign-up, so no weaker password gets in. */
export const adminAccountSchema = z.object({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
});
export type AdminAccountInput = z.infer<typeof adminAccountSchema>;

export type EnsureAdminResult =
  | { outcome: 'created'; user: User }
  /** An admin of that username was there already; nothing was changed, not even its password. */
  | { outcome: 'unchanged'; user: User };

/** Held while creating, so two runs at once create one admin. */
const ADMIN_LOCK = sql`select pg_advisory_xact_lock(hashtext('users.admin'))`;

const findByUsername = (db: Executor, username: string) =>
  db.select().from(accounts).where(eq(accounts.username, username)).limit(1);

/** An existing admin is left alone; an existing customer is never promoted silently. */
function existing(row: typeof accounts.$inferSelect): EnsureAdminResult {
  if (!row.roles.includes('admin')) {
    throw conflict(
      `An account "${row.username}" exists and is not an admin; it is not promoted. Choose another login.`,
    );
  }
  return { outcome: 'unchanged', user: toUser(row) };
}

/**
 * Creates an admin account unless one of that username exists: the way production gets its
 * first admin (`npm run admin:create`), since it never gets demo accounts. Idempotent per
 * username; a taken email is a 409 like a sign-up's.
 */
export async function ensureAdminAccount(
  deps: AccountDeps,
  input: AdminAccountInput,
): Promise<EnsureAdminResult> {
  const [found] = await findByUsername(deps.db, input.username);
  if (found) return existing(found);
  // Hashed before the lock is taken, so the lock is held for milliseconds, not scrypt time.
  const passwordHash = await hashPassword(input.password);
  return deps.db
    .transaction(async (tx): Promise<EnsureAdminResult> => {
      await tx.execute(ADMIN_LOCK);
      const [raced] = await findByUsername(tx, input.username);
      if (raced) return existing(raced);
      const user = await createAccountIn(tx, deps.events, {
        username: input.username,
        email: input.email,
        passwordHash,
        roles: ['admin'],
      });
      return { outcome: 'created', user };
    })
    .catch(rethrowTaken);
}
