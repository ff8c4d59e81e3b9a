import type { Context } from 'hono';
import { nodeHeadersOf } from './node-request.ts';

/**
 * Whether the request may carry a body. Over HTTP/1.1 a request has one only when it says so
 * in Content-Length or Transfer-Encoding (RFC 9112 §6.3), and node's parser holds it to that,
 * so a request from the Node server is judged by its headers without touching `c.req.raw.body`.
 * Any other request (an app's `fetch` called in process) is judged by its body.
 */
export function carriesBody(c: Context): boolean {
  const headers = nodeHeadersOf(c);
  if (headers !== undefined) {
    return headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
  }
  return c.req.raw.body !== null;
}
