import { timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError } from '../http/problem.ts';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Guards admin routes with the configured admin token (`Authorization: Bearer <token>`):
 * 401 without a credential, 403 with a wrong one.
 */
export const requireAdminToken = (adminToken: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const [scheme, token] = header.split(' ', 2);
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new ProblemError(401, 'An admin bearer token is required.', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    if (!sameSecret(token, adminToken))
      throw new ProblemError(403, 'The admin token is not valid.');
    await next();
  });
