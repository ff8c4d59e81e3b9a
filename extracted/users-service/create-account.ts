import type { Account, CreateAccount } from '../../src/contracts/users/v1/index.ts';
import { userRegistered } from '../../src/contracts/users/v1/index.ts';
import type { Role } from '../../src/platform/auth/access-token.ts';
import { hashPassword } from '../../src/platform/auth/passwords.ts';
import type { EventPublisher } from '../../src/platform/bus/event-bus.ts';
import type { EventContext } from '../../src/platform/bus/event-contract.ts';
import type { Transaction } from '../../src/platform/db/database.ts';
import { rethrowTaken, toAccount } from './account-records.ts';
import type { AccountsDeps } from './deps.ts';
import { publishAccountChanged } from './replication.ts';
import { accounts } from './schema.ts';

/** The fields a new row needs, the password already hashed. */
export interface NewAccount extends Omit<CreateAccount, 'password'> {
  passwordHash: string;
  roles: Role[];
  /** A fixed id (the demo accounts, equal on both users sides); otherwise a random one. */
  id?: string;
}

/**
 * Inserts the account and publishes `user.registered` v1 and `user.changed` v1 (for the legacy
 * module's store) in the caller's transaction. `announce: false` publishes only the latter.
 */
export async function insertAccount(
  tx: Transaction,
  events: EventPublisher,
  account: NewAccount,
  context?: EventContext,
  { announce = true }: { announce?: boolean } = {},
): Promise<Account> {
  const [row] = await tx
    .insert(accounts)
    .values({
      ...(account.id !== undefined && { id: account.id }),
      loginName: account.login_name,
      emailAddress: account.email_address,
      passwordHash: account.passwordHash,
      roles: account.roles,
      displayName: account.display_name ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  if (announce) {
    await events.publish(
      tx,
      userRegistered,
      { userId: row.id, username: row.loginName, email: row.emailAddress },
      context,
    );
  }
  await publishAccountChanged(tx, events, row, context);
  return toAccount(row);
}

/** Sign-up: always a customer. A taken login name or email address is a 409 with its code. */
export async function createAccount(
  deps: AccountsDeps,
  input: CreateAccount,
  context?: EventContext,
): Promise<Account> {
  // Hashed before the transaction, so no connection is held through the scrypt work.
  const passwordHash = await hashPassword(input.password);
  const { password: _, ...profile } = input;
  return deps.db
    .transaction((tx) =>
      insertAccount(tx, deps.events, { ...profile, passwordHash, roles: ['customer'] }, context),
    )
    .catch(rethrowTaken);
}
