import { randomHex } from './random-hex.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ALL_ZEROS = /^0+$/;

/** The caller's W3C trace id when it sent a valid `traceparent`, else a new trace's. */
export function traceIdOf(traceparent: string | undefined): string {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  const traceId = match?.[1];
  return traceId !== undefined && !ALL_ZEROS.test(traceId) ? traceId : randomHex(16);
}
