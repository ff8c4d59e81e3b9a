import { count, eq, or, sql } from 'drizzle-orm';
import { userTokensRevoked } from '../../contracts/users/v1/token-events.ts';
import type { AccessTokenIssuer, Principal, Role } from '../../platform/auth/access-token.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../../platform/auth/passwords.ts';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Database, Executor, Transaction } from '../../platform/db/database.ts';
import { conflict, notFound, ProblemError } from '../../platform/http/problem.ts';
import type {
  AccessToken,
  ChangedField,
  LoginInput,
  RegisterInput,
  UpdateMeInput,
  User,
  UserSummary,
} from './contracts.ts';
import { userRegistered, userUpdated } from './events.ts';
import { nextVersion, publishAccountChanged } from './replication.ts';
import { accounts } from './schema.ts';

/** What the users module's use cases run on. */
export interface UsersDeps {
  db: Database;
  events: EventPublisher;
  tokens: AccessTokenIssuer;
}

/** What the use cases that only store accounts (seed, the first admin) run on. */
export type AccountDeps = Pick<UsersDeps, 'db' | 'events'>;

type AccountRow = typeof accounts.$inferSelect;

/** The one place an account row becomes the API's shape; the hash never leaves this module. */
export function toUser(row: AccountRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.displayName,
    roles: row.roles,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toUserSummary(user: User): UserSummary {
  const { id, username, email, roles, createdAt } = user;
  return { id, username, email, roles, createdAt };
}

async function findAccount(db: Executor, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

export async function findUser(db: Executor, id: string): Promise<User | undefined> {
  const row = await findAccount(db, id);
  return row && toUser(row);
}

/** Self or admin; anyone else gets the same 404 as for an id that does not exist. */
export async function getUserAs(db: Executor, viewer: Principal, id: string): Promise<User> {
  const user =
    viewer.id === id || viewer.roles.includes('admin') ? await findUser(db, id) : undefined;
  if (!user) throw notFound(`User ${id} does not exist.`);
  return user;
}

export async function countUsers(db: Executor): Promise<number> {
  const [row] = await db.select({ total: count() }).from(accounts);
  return row?.total ?? 0;
}

/** The account fields a new row needs, the password already hashed. */
export interface NewAccount extends Omit<RegisterInput, 'password'> {
  passwordHash: string;
  roles: Role[];
  /** A fixed id (the demo accounts, equal on both users sides); otherwise a random one. */
  id?: string;
}

/**
 * Inserts the account and publishes `user.registered` and `user.changed` (for users-service's
 * store) in the caller's transaction.
 */
export async function createAccountIn(
  tx: Transaction,
  events: EventPublisher,
  account: NewAccount,
  context?: EventContext,
): Promise<User> {
  const [row] = await tx
    .insert(accounts)
    .values({
      ...(account.id !== undefined && { id: account.id }),
      username: account.username,
      email: account.email,
      passwordHash: account.passwordHash,
      roles: account.roles,
      displayName: account.displayName ?? null,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await events.publish(
    tx,
    userRegistered,
    { userId: row.id, username: row.username, email: row.email },
    context,
  );
  await publishAccountChanged(tx, events, row, context);
  return toUser(row);
}

/** Self-service sign-up: always a customer. A taken username or email is a 409. */
export async function register(
  deps: UsersDeps,
  input: RegisterInput,
  context?: EventContext,
): Promise<User> {
  // Hashed before the transaction, so no connection is held through the scrypt work.
  const passwordHash = await hashPassword(input.password);
  const { password: _, ...profile } = input;
  return deps.db
    .transaction((tx) =>
      createAccountIn(tx, deps.events, { ...profile, passwordHash, roles: ['customer'] }, context),
    )
    .catch(rethrowTaken);
}

const invalidLogin = () => new ProblemError(401, 'The login or password is wrong.');

/**
 * One answer for an unknown login and a wrong password, after the same scrypt work, so neither
 * the response nor its timing tells whether an account exists.
 */
export async function login(deps: UsersDeps, input: LoginInput): Promise<AccessToken> {
  const [row] = await deps.db
    .select()
    .from(accounts)
    .where(or(eq(accounts.username, input.login), eq(accounts.email, input.login)))
    .limit(1);
  const valid = row
    ? await verifyPassword(input.password, row.passwordHash)
    : await verifyAgainstDecoy(input.password);
  if (!row || !valid) throw invalidLogin();
  const { token, expiresAt } = await deps.tokens.issue({ id: row.id, roles: row.roles });
  return {
    accessToken: token,
    tokenType: 'Bearer',
    expiresAt: expiresAt.toISOString(),
    user: toUser(row),
  };
}

/**
 * Changes the caller's own account and publishes `user.updated` naming the fields that really
 * changed; a patch that changes nothing returns the account untouched and publishes nothing.
 * A new password also revokes the tokens issued before it: the account records the instant,
 * and `user.tokens_revoked` tells every verifier, in the same transaction. Every change raises
 * the version and publishes `user.changed`, for users-service's store.
 */
export async function updateMe(
  deps: UsersDeps,
  userId: string,
  patch: UpdateMeInput,
  context?: EventContext,
): Promise<User> {
  const before = await findAccount(deps.db, userId);
  if (!before) throw notFound(`User ${userId} does not exist.`);
  let passwordHash: string | undefined;
  if (patch.password !== undefined) {
    if (!(await verifyPassword(patch.currentPassword ?? '', before.passwordHash))) {
      throw new ProblemError(403, 'The current password is wrong.', {
        errors: [{ path: 'json.currentPassword', message: 'does not match' }],
      });
    }
    passwordHash = await hashPassword(patch.password);
  }

  return deps.db
    .transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(accounts)
        .where(eq(accounts.id, userId))
        .for('update');
      if (!current) throw notFound(`User ${userId} does not exist.`);
      // The current password was checked outside the lock; a change in between voids that check.
      if (passwordHash && current.passwordHash !== before.passwordHash) {
        throw conflict('The password changed meanwhile; try again.');
      }
      const changes: Partial<
        Pick<AccountRow, 'username' | 'email' | 'displayName' | 'passwordHash' | 'tokensValidAfter'>
      > = {};
      const changed: ChangedField[] = [];
      if (patch.username !== undefined && patch.username !== current.username) {
        changes.username = patch.username;
        changed.push('username');
      }
      if (patch.email !== undefined && patch.email !== current.email) {
        changes.email = patch.email;
        changed.push('email');
      }
      if (patch.displayName !== undefined && patch.displayName !== current.displayName) {
        changes.displayName = patch.displayName;
        changed.push('displayName');
      }
      if (passwordHash) {
        changes.passwordHash = passwordHash;
        // The clock tokens are issued by (iat_ms), so a sign-in right after this still counts.
        changes.tokensValidAfter = new Date();
        changed.push('password');
      }
      if (changed.length === 0) return toUser(current);

      const [row] = await tx
        .update(accounts)
        .set({ ...changes, updatedAt: sql`now()`, version: nextVersion })
        .where(eq(accounts.id, userId))
        .returning();
      if (!row) throw notFound(`User ${userId} does not exist.`);
      await deps.events.publish(
        tx,
        userUpdated,
        { userId: row.id, username: row.username, email: row.email, changed },
        context,
      );
      if (changes.tokensValidAfter) {
        await deps.events.publish(
          tx,
          userTokensRevoked,
          { userId: row.id, notBefore: changes.tokensValidAfter.toISOString() },
          context,
        );
      }
      await publishAccountChanged(tx, deps.events, row, context);
      return toUser(row);
    })
    .catch(rethrowTaken);
}

const takenFields: Record<string, 'username' | 'email'> = {
  accounts_username_key: 'username',
  accounts_email_key: 'email',
};

/**
 * Turns a unique violation (a duplicate, or two sign-ups racing for one name) into a 409 naming
 * the field. drizzle wraps the driver's error, so the SQLSTATE may sit a few causes down;
 * postgres.js calls the constraint `constraint_name`, PGlite `constraint`.
 */
export function rethrowTaken(error: unknown): never {
  for (let current = error; current instanceof Error; current = current.cause) {
    const fields = current as Error & {
      code?: unknown;
      constraint_name?: unknown;
      constraint?: unknown;
    };
    if (fields.code !== '23505') continue;
    const field = takenFields[String(fields.constraint_name ?? fields.constraint)];
    throw new ProblemError(
      409,
      field ? `That ${field} is already taken.` : 'That username or email is already taken.',
      field ? { errors: [{ path: `json.${field}`, message: 'already taken' }] } : {},
    );
  }
  throw error;
}
