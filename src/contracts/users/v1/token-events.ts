import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../../platform/bus/event-contract.ts';

/**
 * Published by either users implementation in the transaction that changes a password: every
 * verifier then refuses that user's access tokens issued (claim `iat_ms`) before `notBefore`.
 */
export const userTokensRevoked = defineEvent({
  name: 'user.tokens_revoked',
  version: 1,
  description:
    "A user's access tokens issued before `notBefore` are revoked (published with a password change).",
  payload: z.object({
    userId: z.uuid(),
    notBefore: z.iso
      .datetime()
      .describe('Tokens issued before this instant (millisecond precision) no longer count'),
  }),
});
