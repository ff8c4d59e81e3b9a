import type { NodeRequestHeaders } from '../../src/platform/http/node-request.ts';

// Which headers cross the facade. Hop-by-hop headers (RFC 9110 §7.6.1) belong to one
// connection; the rest are the facade's to set (a client may not claim to be a mirror, a dry
// run, a forwarded user or another budget).

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Set by the facade only; dropped from what a client sends. */
const FACADE_OWNED = new Set([
  'x-forwarded-user',
  'x-facade-mirror',
  'x-dry-run',
  'x-route-to',
  'x-request-budget-ms',
  'traceparent',
  'tracestate',
  'x-request-id',
]);

/** Marks a request the facade mirrored (shadow): never a client's. */
export const MIRROR_HEADER = 'x-facade-mirror';

/**
 * The client's headers as they go on upstream (lower-case names): from node's parsed headers
 * when the request came through the Node server (reading them off the WHATWG Request would
 * build a Headers object per request), else from the Request's.
 */
export function clientHeaders(headers: Headers | NodeRequestHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && !FACADE_OWNED.has(name)) kept[name] = value;
    });
  } else {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || HOP_BY_HOP.has(name) || FACADE_OWNED.has(name)) continue;
      kept[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  // A header naming further hop-by-hop headers (`Connection: x-foo`) drops those too.
  const connection = headers instanceof Headers ? headers.get('connection') : headers.connection;
  for (const name of String(connection ?? '').split(',')) {
    delete kept[name.trim().toLowerCase()];
  }
  return kept;
}

/** An upstream's answer headers as they go on to the client. */
export function answerHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}
