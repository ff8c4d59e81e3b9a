import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../platform/bus/event-contract.ts';

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
