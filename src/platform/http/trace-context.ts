import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './app-env.ts';
import { randomHex } from './random-hex.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Continues the caller's W3C trace when it sent a valid `traceparent`, else starts one. */
export const traceContext = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const match = TRACEPARENT.exec(c.req.header('traceparent') ?? '');
    const traceId = match?.[1] && !/^0+$/.test(match[1]) ? match[1] : randomHex(16);
    c.set('traceId', traceId);
    await next();
  });
