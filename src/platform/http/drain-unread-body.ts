import { createMiddleware } from 'hono/factory';
import { settlesWithin } from '../resilience/deadline.ts';
import type { AppEnv } from './app-env.ts';

/** How long a refused request's unread body may take to arrive before the connection is given up. */
const DRAIN_DEADLINE_MS = 5_000;

/**
 * Reads and discards a request body nobody read (a 401, 403 or 404 answered before the route
 * looked at it), so the keep-alive connection stays usable for the client's next request.
 *
 * Without it, @hono/node-server (2.1.8, `drainIncoming` in its listener) resumes the unread
 * body only after the response, gives it 500 ms, then destroys the socket. And once anything
 * has touched `c.req.raw.body` (bodyLimit does), the body sits behind a web stream whose
 * backpressure pauses it again, so that drain never ends and the socket always dies: the
 * client's next request on it gets no answer. Runs inside bodyLimit, so what it reads is at
 * most the limit; a body that does not arrive in time gets `Connection: close` instead.
 */
export const drainUnreadBody = (deadlineMs = DRAIN_DEADLINE_MS) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const body = c.req.raw.bodyUsed ? null : c.req.raw.body;
    if (!body || body.locked) return;
    if (!(await discard(body, deadlineMs))) c.header('Connection', 'close');
  });

/** True when the stream ended within the deadline; false when it failed or took too long. */
async function discard(body: ReadableStream<Uint8Array>, deadlineMs: number): Promise<boolean> {
  const reader = body.getReader();
  const drained = (async () => {
    while (!(await reader.read()).done) {
      // nothing to keep
    }
    return true;
  })().catch(() => false);
  try {
    return (await settlesWithin(drained, deadlineMs)) && (await drained);
  } finally {
    // Not cancel(): cancelling an incomplete body destroys the socket before the answer is
    // written. Released, the rest is left to the server, which closes after answering.
    reader.releaseLock();
  }
}
