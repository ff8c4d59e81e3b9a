import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../problem.ts';
import { requestHeader } from '../request-header.ts';
import { requestHash, secretRequestHash } from './request-hash.ts';
import type { IdempotencyStore } from './store.ts';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const MAX_KEY_LENGTH = 200;

/** The answer headers a replay repeats; the rest (request id, dates) belong to each answer. */
const KEPT_HEADERS = ['content-type', 'location', 'retry-after'];

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** Whose key space a request is in (the caller); keys of different callers never meet. */
  scopeOf(c: Context<AppEnv>): string;
  /** The problem `type` of a malformed key (the component's validation code). */
  validationType?: string;
  /** The body carries a secret (a password): its fingerprint is a salted scrypt (slower). */
  secretBody?: boolean;
}

/**
 * Honours `Idempotency-Key` on the route it guards (put it after the route's authorization, so
 * a refused caller stores nothing): same key and same request → the first answer, status and
 * body, replayed with `Idempotent-Replayed: true`; same key, another request → 422; while the
 * first still runs → 409 once the store's wait is over. Answers of 500 and above are not kept:
 * the request may be retried under the same key. Without the header the request just runs.
 */
export const idempotency = ({ store, scopeOf, validationType, secretBody }: IdempotencyOptions) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = requestHeader(c, IDEMPOTENCY_KEY_HEADER);
    if (key === undefined) return next();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes('\u0000')) {
      throw new ProblemError(
        400,
        `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_KEY_LENGTH} characters.`,
        {
          ...(validationType && { type: validationType }),
          errors: [
            { path: 'header.idempotency-key', message: 'must be 1 to 200 characters, no NUL' },
          ],
        },
      );
    }
    const scope = scopeOf(c);
    const body = await c.req.text();
    const hash = secretBody
      ? await secretRequestHash(c.req.method, c.req.path, body, `${scope}:${key}`)
      : requestHash(c.req.method, c.req.path, body);
    const claim = await store.begin(scope, key, hash);
    if (claim.outcome === 'replay') {
      const { status, body, headers } = claim.answer;
      // Through the context, so what earlier middleware set (the request id) is kept.
      return c.body(body, status as ContentfulStatusCode, {
        ...headers,
        [REPLAYED_HEADER]: 'true',
      });
    }
    try {
      await next();
    } catch (error) {
      await claim.release();
      throw error;
    }
    if (c.res.status >= 500) {
      await claim.release();
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = c.res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    await claim.complete({ status: c.res.status, body: await c.res.clone().text(), headers });
  });
