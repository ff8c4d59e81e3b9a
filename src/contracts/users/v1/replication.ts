import { z } from '@hono/zod-openapi';
import { roleSchema } from '../../../platform/auth/access-token.ts';
import { defineEvent } from '../../../platform/bus/event-contract.ts';

// How the two users stores (the legacy module's and users-service's) are kept in step while
// both live: every account write on either side publishes the account's whole state, and the
// other side upserts it by id, guarded by the version.

/** One account's whole state, in v1's vocabulary: everything a users side stores. */
export const replicatedAccountSchema = z.object({
  id: z.uuid(),
  login_name: z.string(),
  email_address: z.string(),
  display_name: z.string().nullable(),
  roles: z.array(roleSchema).min(1),
  /** `scrypt$N$r$p$salt$hash`: who receives this can check a password, never recover it. */
  password_hash: z.string(),
  /** Tokens issued before this instant are void (a password change); null: none are. */
  tokens_valid_after: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ReplicatedAccount = z.infer<typeof replicatedAccountSchema>;

export const userChanged = defineEvent({
  name: 'user.changed',
  version: 1,
  description:
    "An account's whole state after a write on one users side, for the other users side to upsert by id: it carries the password hash, so only a users side (the legacy users module, users-service) may consume it. `version` rises by one with every write; a receiver keeps what it has when that is newer (a higher version; at an equal version, a later `updated_at`, then the greater `password_hash`, so both sides pick the same row) and publishes nothing for a replicated write.",
  payload: z.object({
    account: replicatedAccountSchema,
    version: z.number().int().positive(),
  }),
});
export type UserChanged = z.infer<typeof userChanged.payload>;
