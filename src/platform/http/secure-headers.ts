import type { MiddlewareHandler } from 'hono';
import { setAnswerHeader } from './answer-headers.ts';
import type { AppEnv } from './app-env.ts';

// The API answers JSON only: nothing it serves may load, run or be framed. Hono's secureHeaders
// defaults, with that policy; a page of its own (the docs) sets its own policy over it.

const SECURE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/** Their names, lower-case. */
export const SECURE_HEADER_NAMES: ReadonlySet<string> = new Set(
  SECURE_HEADERS.map(([name]) => name.toLowerCase()),
);

/**
 * Sets them before the handler runs (setAnswerHeader), so every answer starts from them and a
 * handler's own header replaces one. Hono's secureHeaders sets them on the finished answer
 * instead: a check and a write per header per request.
 */
export const secureHeaders = (): MiddlewareHandler<AppEnv> => (c, next) => {
  for (const [name, value] of SECURE_HEADERS) setAnswerHeader(c, name, value);
  return next();
};
