// The canary split: each (route, sticky key) pair hashes to a bucket 0–9999 that never changes,
// and the new side takes the buckets below percentage × 100. So a user stays on one side while
// the percentage holds, raising it only moves users legacy → new, lowering it only new → legacy,
// and each route buckets its users independently (the route id is hashed in).

export type Side = 'legacy' | 'new';

export const BUCKETS = 10_000;

export interface CanaryInput {
  routeId: string;
  /** 0–100; steps of 0.01 are distinct (one bucket each). */
  percentage: number;
  /** stickyKeyOf: the user's id when signed in, else a key of the client. */
  stickyKey: string;
}

/** The key a request sticks to its side by: the user when signed in, else the client. */
export function stickyKeyOf(request: { userId?: string | undefined; clientKey: string }): string {
  return request.userId === undefined ? `client:${request.clientKey}` : `user:${request.userId}`;
}

/**
 * FNV-1a over the UTF-16 code units, then murmur3's finaliser so close keys (`user-1`,
 * `user-2`) spread over all buckets. The same on every replica and every run: no seed.
 */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket (0–9999) of a sticky key on a route. */
export function bucketOf(routeId: string, stickyKey: string): number {
  // The NUL keeps `a` + `bc` apart from `ab` + `c`.
  return hash32(`${routeId}\u0000${stickyKey}`) % BUCKETS;
}

export function sideFor({ routeId, percentage, stickyKey }: CanaryInput): Side {
  if (!(percentage >= 0 && percentage <= 100)) {
    throw new RangeError(`a canary percentage is 0–100, not ${percentage}`);
  }
  // Rounded, so 0.29 × 100 (28.999…) is 29 buckets, as the operator meant.
  return bucketOf(routeId, stickyKey) < Math.round(percentage * 100) ? 'new' : 'legacy';
}
