import { sql } from 'drizzle-orm';
import { check, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { roles } from '../../src/platform/auth/access-token.ts';
import { idempotencyRecordsTable } from '../../src/platform/http/idempotency/table.ts';

/** users-service's schema, in its own database. Sessions are stateless tokens: no session table. */
export const users = pgSchema('users');

export const accounts = users.table(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Stored lowercased (checked below), so a plain unique constraint is case-insensitive.
    loginName: text('login_name').notNull().unique('accounts_login_name_key'),
    emailAddress: text('email_address').notNull().unique('accounts_email_address_key'),
    /** `scrypt$N$r$p$salt$hash` (src/platform/auth/passwords.ts). */
    passwordHash: text('password_hash').notNull(),
    roles: text('roles', { enum: roles }).array().notNull().default(sql`'{customer}'::text[]`),
    displayName: text('display_name'),
    /** Access tokens issued before this (a password change) are refused everywhere. */
    tokensValidAfter: timestamp('tokens_valid_after', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Raised by one with every write, here or replicated from the legacy module (`user.changed`):
     * a replicated state older than this never overwrites the row.
     */
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('accounts_login_name_lowercase', sql`${t.loginName} = lower(${t.loginName})`),
    check('accounts_email_address_lowercase', sql`${t.emailAddress} = lower(${t.emailAddress})`),
    check(
      'accounts_roles_known',
      sql`cardinality(${t.roles}) > 0 and ${t.roles} <@ array['customer', 'admin']::text[]`,
    ),
  ],
);

/** Idempotency-Key records of POST /v1/accounts. */
export const idempotencyRecords = idempotencyRecordsTable(users);
