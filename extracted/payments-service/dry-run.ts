import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { DRY_RUN_HEADER } from '../../src/contracts/payments/v1/index.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { requestHeader } from '../../src/platform/http/request-header.ts';

/**
 * Whether the request asks for a dry run. Any value counts here, so a malformed header (which the
 * route's validation then refuses with 400) never runs for real nor touches an Idempotency-Key.
 */
export const isDryRun = (c: Context<AppEnv>): boolean =>
  requestHeader(c, DRY_RUN_HEADER) !== undefined;

/** Marks every answer to a dry run, refusals included, so the caller knows nothing happened. */
export const markDryRunAnswers = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (isDryRun(c)) c.res.headers.set(DRY_RUN_HEADER, 'true');
  });

/** `guard` for real requests only: a dry run neither reads nor uses up an Idempotency-Key. */
export const unlessDryRun = (guard: MiddlewareHandler<AppEnv>) =>
  createMiddleware<AppEnv>(async (c, next) => (isDryRun(c) ? next() : guard(c, next)));
