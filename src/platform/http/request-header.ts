import type { Context } from 'hono';
import { nodeHeadersOf } from './node-request.ts';

/**
 * A request header by its name (any case). Read from node's parsed headers when the request
 * came through the Node server: asking the WHATWG Request for one makes @hono/node-server build
 * a Headers object of them all first, on every request. Else (a Request made in this process)
 * from the Request.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const headers = nodeHeadersOf(c);
  if (headers === undefined) return c.req.header(name);
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
