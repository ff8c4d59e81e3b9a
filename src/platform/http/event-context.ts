import type { Context } from 'hono';
import type { EventContext } from '../bus/event-contract.ts';
import type { AppEnv } from './app-env.ts';

/** The request's ids travel with the events it causes. */
export const eventContextOf = (c: Context<AppEnv>): EventContext => ({
  correlationId: c.var.requestId,
  traceId: c.var.traceId,
});
