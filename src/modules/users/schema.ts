import { sql } from 'drizzle-orm';
import { check, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { roles } from '../../platform/auth/access-token.ts';

/** The users module's own schema. Sessions are stateless JWTs, so there is no session table. */
export const users = pgSchema('users');

export const accounts = users.table(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Stored lowercased (checked below), so a plain unique constraint is case-insensitive.
    username: text('username').notNull().unique('accounts_username_key'),
    email: text('email').notNull().unique('accounts_email_key'),
    /** `scrypt$N$r$p$salt$hash`, base64 salt and hash. */
    passwordHash: text('password_hash').notNull(),
    roles: text('roles', { enum: roles }).array().notNull().default(sql`'{customer}'::text[]`),
    displayName: text('display_name'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Access tokens issued before this instant no longer count (set by a password change, and
     * announced to every verifier as `user.tokens_revoked`); null: none revoked.
     */
    tokensValidAfter: timestamp('tokens_valid_after', { withTimezone: true, precision: 3 }),
    /**
     * Raised by one with every write, here or replicated from users-service (`user.changed`):
     * a replicated state older than this never overwrites the row.
     */
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('accounts_username_lowercase', sql`${t.username} = lower(${t.username})`),
    check('accounts_email_lowercase', sql`${t.email} = lower(${t.email})`),
    check(
      'accounts_roles_known',
      sql`cardinality(${t.roles}) > 0 and ${t.roles} <@ array['customer', 'admin']::text[]`,
    ),
  ],
);
