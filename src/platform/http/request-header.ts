import type { Context } from 'hono';

/** What @hono/node-server hands a request as `c.env`: the Node request, its headers parsed. */
interface NodeBindings {
  incoming?: { headers?: NodeRequestHeaders };
}

/** A request's headers as node's http server parsed them: lower-case names. */
export type NodeRequestHeaders = Record<string, string | string[] | undefined>;

/** Node's parsed headers (lower-case names) of a request the Node server serves, else undefined. */
export const nodeHeadersOf = (c: Context): NodeRequestHeaders | undefined =>
  (c.env as NodeBindings | undefined)?.incoming?.headers;

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
