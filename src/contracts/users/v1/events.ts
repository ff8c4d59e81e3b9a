import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../../platform/bus/event-contract.ts';

// The users events that cross processes: one contract whether the legacy module or
// users-service publishes them. Payload field names are v1's and stay as they are.

export const userRegistered = defineEvent({
  name: 'user.registered',
  version: 1,
  description: 'A new account was created.',
  payload: z.object({ userId: z.uuid(), username: z.string(), email: z.email() }),
});

export const userUpdated = defineEvent({
  name: 'user.updated',
  version: 1,
  description: "An account's profile changed; `changed` names the fields.",
  payload: z.object({
    userId: z.uuid(),
    username: z.string(),
    email: z.email(),
    changed: z.array(z.string()),
  }),
});

/** The names `user.updated` may list in `changed` (the event's own vocabulary, on both sides). */
export const changedFields = ['username', 'email', 'displayName', 'password'] as const;
export type ChangedField = (typeof changedFields)[number];
