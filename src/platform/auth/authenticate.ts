import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError } from '../http/problem.ts';
import { requestHeader } from '../http/request-header.ts';
import type { Role } from './access-token.ts';
import type { AccessTokenVerifier } from './access-token-verifier.ts';

const challenge = { 'WWW-Authenticate': 'Bearer' };

/** Key sets are public and fetched by verifiers that hold no token: never checked. */
export const isWellKnownPath = (path: string) => path.startsWith('/.well-known/');

/** The bearer token of an Authorization header; undefined for another scheme or none. */
export function bearerToken(header: string | undefined): string | undefined {
  const [scheme, token] = header?.split(' ', 2) ?? [];
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/**
 * Reads `Authorization: Bearer <jwt>` when present and sets `c.var.user`. A present but invalid,
 * forged, expired or revoked token is a 401 even on public routes: the caller should know.
 */
export const authenticate = (verifier: AccessTokenVerifier) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = requestHeader(c, 'authorization');
    if (header && !isWellKnownPath(c.req.path)) {
      const token = bearerToken(header);
      const result = token
        ? await verifier.verify(token)
        : { ok: false as const, reason: 'not a bearer token' };
      if (!result.ok) {
        c.var.logger?.debug({ reason: result.reason }, 'access token refused');
        if (result.unavailable) {
          // Not the caller's fault: the keys that would tell could not be fetched.
          throw new ProblemError(503, 'The keys to check the access token are unavailable.', {
            headers: { 'Retry-After': '5' },
          });
        }
        throw new ProblemError(
          401,
          'The access token is missing, malformed, forged, expired or revoked.',
          { headers: challenge },
        );
      }
      c.set('user', result.principal);
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
