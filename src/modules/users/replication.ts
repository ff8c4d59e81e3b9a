import { sql } from 'drizzle-orm';
import { type UserChanged, userChanged } from '../../contracts/users/v1/index.ts';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { type Subscription, subscribe } from '../../platform/bus/subscription.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { AccountRecord } from './contracts.ts';
import { accounts } from './schema.ts';

// The legacy half of keeping both users stores in step: every account write here publishes
// `user.changed` (the whole state), and users-service's writes arrive the same way and are
// upserted by id, guarded by the version, publishing nothing.

type AccountRow = typeof accounts.$inferSelect;

/** The subscriber that takes users-service's writes into this store. */
export const REPLICATE_FROM_SERVICE = 'users.replicate-from-service';

export function toUserChanged(row: AccountRow): UserChanged {
  return {
    account: {
      id: row.id,
      login_name: row.username,
      email_address: row.email,
      display_name: row.displayName,
      roles: row.roles,
      password_hash: row.passwordHash,
      tokens_valid_after: row.tokensValidAfter?.toISOString() ?? null,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    },
    version: row.version,
  };
}

/** Announces the row's new state, in the transaction that wrote it. */
export async function publishAccountChanged(
  tx: Executor,
  events: EventPublisher,
  row: AccountRow,
  context?: EventContext,
): Promise<void> {
  await events.publish(tx, userChanged, toUserChanged(row), context);
}

/** The raise every local write makes. */
export const nextVersion = sql`${accounts.version} + 1`;

const isUniqueViolation = (error: unknown): boolean => {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ((current as Error & { code?: unknown }).code === '23505') return true;
  }
  return false;
};

/**
 * Upserts another side's state of an account unless this store's is as new (the order
 * `user.changed` documents: version, then updated_at to the millisecond, then the hash, so both
 * sides settle on the same row). Publishes nothing. A unique conflict (that login name or email
 * on another id here) throws: the delivery fails and ends dead, for an operator to see.
 */
export async function replicateAccount(
  db: Executor,
  { account, version }: UserChanged,
): Promise<'copied' | 'unchanged'> {
  const state = {
    username: account.login_name,
    email: account.email_address,
    displayName: account.display_name,
    roles: account.roles,
    passwordHash: account.password_hash,
    tokensValidAfter: account.tokens_valid_after ? new Date(account.tokens_valid_after) : null,
    createdAt: new Date(account.created_at),
    updatedAt: new Date(account.updated_at),
    version,
  };
  try {
    const written = await db
      .insert(accounts)
      .values({ id: account.id, ...state })
      .onConflictDoUpdate({
        target: accounts.id,
        set: state,
        setWhere: sql`(excluded.version, date_trunc('milliseconds', excluded.updated_at), excluded.password_hash)
          > (${accounts.version}, date_trunc('milliseconds', ${accounts.updatedAt}), ${accounts.passwordHash})`,
      })
      .returning({ id: accounts.id });
    return written.length > 0 ? 'copied' : 'unchanged';
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new Error(
      `account ${account.id} (${account.login_name}, ${account.email_address}) not replicated: another account here has that username or email`,
      { cause: error },
    );
  }
}

/**
 * users-service's writes, into this store. This component's own events are not fanned out to
 * it (othersOnly); one that comes all the same (a replay) is skipped by its origin.
 */
export function replicateFromService(component: string): Subscription {
  return subscribe(
    REPLICATE_FROM_SERVICE,
    userChanged,
    async (event, tx) => {
      if (event.metadata.origin === component) return;
      await replicateAccount(tx, event.payload);
    },
    { othersOnly: true },
  );
}

/** Accounts in (created_at, id) order after `after`, the millisecond being the key's precision. */
export async function accountRecordsAfter(
  db: Executor,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<AccountRecord[]> {
  const createdMs = sql`date_trunc('milliseconds', ${accounts.createdAt})`;
  const rows = await db
    .select()
    .from(accounts)
    .where(
      after
        ? sql`(${createdMs}, ${accounts.id}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`
        : undefined,
    )
    .orderBy(createdMs, accounts.id)
    .limit(limit);
  return rows.map(toAccountRecord);
}

export function toAccountRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.displayName,
    roles: row.roles,
    passwordHash: row.passwordHash,
    tokensValidAfter: row.tokensValidAfter?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}
