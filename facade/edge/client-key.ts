import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { type ClientAddressOptions, clientIpOf, isHttpsRequest } from './client-ip.ts';

// An anonymous client's sticky key for the canary split (stickyKeyOf in routing/canary.ts):
// the `facade_client` cookie when the client sends one, else its IP. A client that keeps
// cookies is keyed by its IP on its first request a split decides and by the cookie from then
// on. The cookie is offered only on such a request: where no split asked for the key,
// stickiness does not matter, and a random cookie on every answer cost more than the rest of
// the client key.

export const CLIENT_COOKIE = 'facade_client';

/** 128 random bits, base64url: anything else in the cookie is not ours, and is replaced. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/;

const ONE_YEAR_SECONDS = 365 * 24 * 3600;

const cookieOf = (c: Context): string | undefined => {
  const value = getCookie(c, CLIENT_COOKIE);
  return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
};

/** Requests whose client key was asked for and was their address: they are offered the cookie. */
const keyedByAddress = new WeakSet<Context>();

/** The anonymous client's key: `cookie:<value>`, or `ip:<address>` for a client without it. */
export function clientKeyOf(c: Context, options: ClientAddressOptions): string {
  const cookie = cookieOf(c);
  if (cookie !== undefined) return `cookie:${cookie}`;
  keyedByAddress.add(c);
  return `ip:${clientIpOf(c, options)}`;
}

/**
 * Gives a client without a (valid) `facade_client` cookie one when its request was keyed by
 * its address (clientKeyOf); one that sends the cookie never gets it again.
 */
export const clientCookie = (options: ClientAddressOptions) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    if (!keyedByAddress.has(c)) return;
    setCookie(c, CLIENT_COOKIE, randomBytes(16).toString('base64url'), {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: isHttpsRequest(c, options),
      maxAge: ONE_YEAR_SECONDS,
    });
  });
