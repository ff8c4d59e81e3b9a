import { z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';

/**
 * For a route whose answer hands out a credential (an access token): no cache, shared or
 * private, may keep it (RFC 9111 §5.2.2.5; Pragma for HTTP/1.0 caches, as RFC 6749 §5.1 asks).
 */
export const noStore = () =>
  createMiddleware(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
  });

/** The headers `noStore` sets, for the route's documented responses. */
export const noStoreHeaders = z.object({
  'Cache-Control': z.literal('no-store'),
  Pragma: z.literal('no-cache'),
});
