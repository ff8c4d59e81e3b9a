import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError } from '../http/problem.ts';
import { type AccessTokenSettings, type Role, verifyAccessToken } from './access-token.ts';

const challenge = { 'WWW-Authenticate': 'Bearer' };

/**
 * Reads `Authorization: Bearer <jwt>` when present and sets `c.var.user`. A present but invalid,
 * forged or expired token is a 401 even on public routes: the caller should know.
 */
export const authenticate = (settings: Pick<AccessTokenSettings, 'secret' | 'issuer'>) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (header) {
      const [scheme, token] = header.split(' ', 2);
      const user =
        scheme?.toLowerCase() === 'bearer' && token
          ? await verifyAccessToken(settings, token)
          : undefined;
      if (!user) {
        throw new ProblemError(401, 'The access token is missing, malformed, forged or expired.', {
          headers: challenge,
        });
      }
      c.set('user', user);
    }
    await next();
  });

/** 401 unless `authenticate` found a valid token. */
export const requireUser = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.var.user)
      throw new ProblemError(401, 'Sign in first: send a bearer access token.', {
        headers: challenge,
      });
    await next();
  });

/** 401 without a valid token, 403 unless the user holds one of the roles. */
export const requireRole = (...accepted: [Role, ...Role[]]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.var.user)
      throw new ProblemError(401, 'Sign in first: send a bearer access token.', {
        headers: challenge,
      });
    const roles = c.var.user.roles;
    if (!accepted.some((role) => roles.includes(role)))
      throw new ProblemError(403, `This needs the ${accepted.join(' or ')} role.`);
    await next();
  });
