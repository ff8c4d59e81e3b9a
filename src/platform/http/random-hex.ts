import { randomFillSync } from 'node:crypto';

// Trace and span ids are drawn on every request: one randomFillSync call per 4 KiB serves a few
// hundred of them, where a randomBytes call per id was a visible share of a forwarded request's
// CPU. Each byte is handed out once.

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` random bytes (at most 4096) as lower-case hex. */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
