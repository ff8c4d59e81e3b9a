import { eq, sql } from 'drizzle-orm';
import {
  type Account,
  type ChangedField,
  type UpdateAccount,
  userTokensRevoked,
  userUpdated,
} from '../../src/contracts/users/v1/index.ts';
import { hashPassword, verifyPassword } from '../../src/platform/auth/passwords.ts';
import type { EventContext } from '../../src/platform/bus/event-contract.ts';
import { codedProblem } from '../../src/platform/http/problem.ts';
import { accountNotFound } from './account-access.ts';
import { type AccountRow, findAccountRow, rethrowTaken, toAccount } from './account-records.ts';
import type { AccountsDeps } from './deps.ts';
import { nextVersion, publishAccountChanged } from './replication.ts';
import { accounts } from './schema.ts';

/**
 * Changes an account and publishes `user.updated` v1 naming the fields that really changed (in
 * the event's vocabulary); a patch that changes nothing returns the account and publishes
 * nothing. A new password needs the current one (403 `current-password-wrong`). Every change
 * raises the version and publishes `user.changed`, for the legacy module's store.
 */
export async function updateAccount(
  deps: AccountsDeps,
  id: string,
  patch: UpdateAccount,
  context?: EventContext,
): Promise<Account> {
  const before = await findAccountRow(deps.db, id);
  if (!before) throw accountNotFound(id);
  let passwordHash: string | undefined;
  if (patch.password !== undefined) {
    if (!(await verifyPassword(patch.current_password ?? '', before.passwordHash))) {
      throw codedProblem(403, 'current-password-wrong', 'The current password is wrong.', {
        errors: [{ path: 'json.current_password', message: 'does not match' }],
      });
    }
    passwordHash = await hashPassword(patch.password);
  }

  return deps.db
    .transaction(async (tx) => {
      const [current] = await tx.select().from(accounts).where(eq(accounts.id, id)).for('update');
      if (!current) throw accountNotFound(id);
      // The current password was checked outside the lock; a change in between voids that check.
      if (passwordHash && current.passwordHash !== before.passwordHash) {
        throw codedProblem(
          409,
          'password-changed-meanwhile',
          'The password changed meanwhile; try again.',
        );
      }
      const changes: Partial<
        Pick<
          AccountRow,
          'loginName' | 'emailAddress' | 'displayName' | 'passwordHash' | 'tokensValidAfter'
        >
      > = {};
      const changed: ChangedField[] = [];
      if (patch.login_name !== undefined && patch.login_name !== current.loginName) {
        changes.loginName = patch.login_name;
        changed.push('username');
      }
      if (patch.email_address !== undefined && patch.email_address !== current.emailAddress) {
        changes.emailAddress = patch.email_address;
        changed.push('email');
      }
      if (patch.display_name !== undefined && patch.display_name !== current.displayName) {
        changes.displayName = patch.display_name;
        changed.push('displayName');
      }
      if (passwordHash) {
        changes.passwordHash = passwordHash;
        // The clock tokens are issued by (iat_ms), so a sign-in right after this still counts.
        changes.tokensValidAfter = new Date();
        changed.push('password');
      }
      if (changed.length === 0) return toAccount(current);

      const [row] = await tx
        .update(accounts)
        .set({ ...changes, updatedAt: sql`now()`, version: nextVersion })
        .where(eq(accounts.id, id))
        .returning();
      if (!row) throw accountNotFound(id);
      await deps.events.publish(
        tx,
        userUpdated,
        { userId: row.id, username: row.loginName, email: row.emailAddress, changed },
        context,
      );
      // Every verifier (the monolith, the facade) refuses the older tokens once it has this.
      if (changes.tokensValidAfter) {
        await deps.events.publish(
          tx,
          userTokensRevoked,
          { userId: row.id, notBefore: changes.tokensValidAfter.toISOString() },
          context,
        );
      }
      await publishAccountChanged(tx, deps.events, row, context);
      return toAccount(row);
    })
    .catch(rethrowTaken);
}
