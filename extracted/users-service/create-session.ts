import { eq, or } from 'drizzle-orm';
import type { CreateSession, Session } from '../../src/contracts/users/v1/index.ts';
import { verifyAgainstDecoy, verifyPassword } from '../../src/platform/auth/passwords.ts';
import { codedProblem } from '../../src/platform/http/problem.ts';
import { toAccount } from './account-records.ts';
import type { AccountsDeps } from './deps.ts';
import { accounts } from './schema.ts';

/**
 * Sign-in with a login name or email address. One answer (401 `invalid-credentials`) for an
 * unknown login and a wrong password, after the same scrypt work, so neither the answer nor
 * its timing tells whether an account exists.
 */
export async function createSession(deps: AccountsDeps, input: CreateSession): Promise<Session> {
  const [row] = await deps.db
    .select()
    .from(accounts)
    .where(or(eq(accounts.loginName, input.login), eq(accounts.emailAddress, input.login)))
    .limit(1);
  const valid = row
    ? await verifyPassword(input.password, row.passwordHash)
    : await verifyAgainstDecoy(input.password);
  if (!row || !valid) {
    throw codedProblem(401, 'invalid-credentials', 'The login or password is wrong.');
  }
  const { token, expiresAt } = await deps.tokens({ id: row.id, roles: row.roles });
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_at: expiresAt.toISOString(),
    account: toAccount(row),
  };
}
