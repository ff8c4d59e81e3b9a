import { eq } from 'drizzle-orm';
import type { Account } from '../../src/contracts/users/v1/index.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { codedProblem } from '../../src/platform/http/problem.ts';
import { accounts } from './schema.ts';

export type AccountRow = typeof accounts.$inferSelect;

/** The one place a row becomes the API's account; the password hash never leaves. */
export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    login_name: row.loginName,
    email_address: row.emailAddress,
    display_name: row.displayName,
    roles: row.roles,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function findAccountRow(db: Executor, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

const takenCodes: Record<string, { code: string; field: string; detail: string }> = {
  accounts_login_name_key: {
    code: 'login-name-taken',
    field: 'login_name',
    detail: 'That login name is already taken.',
  },
  accounts_email_address_key: {
    code: 'email-address-taken',
    field: 'email_address',
    detail: 'That email address is already taken.',
  },
};

/**
 * A unique violation (a duplicate, or two sign-ups racing for one name) as a 409 with the
 * field's code. drizzle wraps the driver's error, so the SQLSTATE may sit a few causes down;
 * postgres.js names the constraint `constraint_name`, PGlite `constraint`.
 */
export function rethrowTaken(error: unknown): never {
  for (let current = error; current instanceof Error; current = current.cause) {
    const fields = current as Error & {
      code?: unknown;
      constraint_name?: unknown;
      constraint?: unknown;
    };
    if (fields.code !== '23505') continue;
    const taken = takenCodes[String(fields.constraint_name ?? fields.constraint)];
    if (!taken) break;
    throw codedProblem(409, taken.code, taken.detail, {
      errors: [{ path: `json.${taken.field}`, message: 'already taken' }],
    });
  }
  throw error;
}
