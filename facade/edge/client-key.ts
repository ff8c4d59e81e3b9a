import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { type ClientAddressOptions, clientIpOf, isHttpsRequest } from './client-ip.ts';

// An anonymous client's sticky key for the canary split (stickyKeyOf in routing/canary.ts):
// the `facade_client` cookie when the client sends one, else its IP. A client that keeps
// cookies is keyed by its IP on its very first request and by the cookie from then on.

export const CLIENT_COOKIE = 'facade_client';

/** 128 random bits, base64url: anything else in the cookie is not ours, and is replaced. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/;

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

const cookieOf = (c: Context): string | undefined => {
  const value = getCookie(c, CLIENT_COOKIE);
  return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
};

/** The anonymous client's key: `cookie:<value>`, or `ip:<address>` for a client without it. */
export function clientKeyOf(c: Context, options: ClientAddressOptions): string {
  const cookie = cookieOf(c);
  return cookie === undefined ? `ip:${clientIpOf(c, options)}` : `cookie:${cookie}`;
}

/** Gives a client without a (valid) `facade_client` cookie one, once; it is never re-set. */
export const clientCookie = (options: ClientAddressOptions) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (cookieOf(c) !== undefined) return;
    setCookie(c, CLIENT_COOKIE, randomBytes(16).toString('base64url'), {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: isHttpsRequest(c, options),
      maxAge: ONE_YEAR_SECONDS,
    });
  });
