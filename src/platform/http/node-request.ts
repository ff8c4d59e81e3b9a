import type { Context } from 'hono';

/** A request's headers as node's http server parsed them: lower-case names. */
export type NodeRequestHeaders = Record<string, string | string[] | undefined>;

/** What @hono/node-server hands a request as `c.env`: the Node request it came in on. */
interface NodeBindings {
  incoming?: { headers?: NodeRequestHeaders; socket?: { remoteAddress?: string } };
}

/** The Node request behind `c` when the Node server serves it; undefined for one made in process. */
export const nodeRequestOf = (c: Context): NodeBindings['incoming'] =>
  (c.env as NodeBindings | undefined)?.incoming;

/** Node's parsed headers (lower-case names) of a request the Node server serves, else undefined. */
export const nodeHeadersOf = (c: Context): NodeRequestHeaders | undefined =>
  nodeRequestOf(c)?.headers;
