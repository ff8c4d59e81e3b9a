import type { UserChanged } from '../../src/contracts/users/v1/index.ts';
import type { AccountRecord } from '../../src/modules/users/index.ts';

// The users ACL for stored accounts: a legacy store's row in v1's vocabulary (the state
// `user.changed` carries and users-service stores), and the one shape both stores' rows are
// compared in (extract:verify).

/** A legacy account record, field by field, as the state users-service keeps. */
export function legacyRecordToState(record: AccountRecord): UserChanged {
  return {
    account: {
      id: record.id,
      login_name: record.username,
      email_address: record.email,
      display_name: record.displayName,
      roles: record.roles,
      password_hash: record.passwordHash,
      tokens_valid_after: record.tokensValidAfter,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    },
    version: record.version,
  };
}

/** An instant to the millisecond, the precision both stores agree on. */
const toMillisecond = (instant: string) => new Date(instant).toISOString();

/**
 * Every field both stores must agree on, hash, revocation instant and version included; the
 * timestamps to the millisecond.
 */
export function comparedAccount({ account, version }: UserChanged): {
  id: string;
  fields: Record<string, unknown>;
} {
  return {
    id: account.id,
    fields: {
      login_name: account.login_name,
      email_address: account.email_address,
      display_name: account.display_name,
      roles: [...account.roles].sort(),
      password_hash: account.password_hash,
      tokens_valid_after: account.tokens_valid_after && toMillisecond(account.tokens_valid_after),
      created_at: toMillisecond(account.created_at),
      updated_at: toMillisecond(account.updated_at),
      version,
    },
  };
}
