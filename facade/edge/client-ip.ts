import type { Context } from 'hono';
import { nodeRequestOf } from '../../src/platform/http/node-request.ts';
import { requestHeader } from '../../src/platform/http/request-header.ts';

export interface ClientAddressOptions {
  /** A proxy of ours stands in front: X-Forwarded-For's last hop is the one it appended. */
  trustProxy: boolean;
}

/**
 * The client's IP: the socket's peer, or behind a trusted proxy the address that proxy saw.
 * Only the last hop is taken, since everything before it is whatever the client sent.
 * `unknown` when neither says (an in-process request).
 */
export function clientIpOf(c: Context, { trustProxy }: ClientAddressOptions): string {
  if (trustProxy) {
    const hops = requestHeader(c, 'x-forwarded-for')?.split(',');
    const last = hops?.[hops.length - 1]?.trim();
    if (last) return last;
  }
  return nodeRequestOf(c)?.socket?.remoteAddress ?? 'unknown';
}

/** Whether the client reached us over https (as our trusted proxy says, behind one). */
export function isHttpsRequest(c: Context, { trustProxy }: ClientAddressOptions): boolean {
  if (trustProxy) {
    const proto = requestHeader(c, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    if (proto) return proto === 'https';
  }
  return new URL(c.req.url).protocol === 'https:';
}
