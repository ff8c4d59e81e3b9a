import { index, timestamp, uuid } from 'drizzle-orm/pg-core';
import { platform } from '../bus/schema.ts';

/**
 * A verifier's copy of the users side's revocations (`user.tokens_revoked`), in the verifier's
 * own database: a user's tokens issued before `not_before` are refused. A row is of no use
 * once the longest token lifetime has passed since then, and is pruned.
 */
export const revokedTokens = platform.table(
  'revoked_tokens',
  {
    userId: uuid('user_id').primaryKey(),
    notBefore: timestamp('not_before', { withTimezone: true, precision: 3 }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('revoked_tokens_not_before_idx').on(t.notBefore)],
);
