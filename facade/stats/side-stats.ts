import type { SideWindow } from '../admin/overview-schema.ts';
import type { Side } from '../proxy/exchange.ts';
import { binOf, HISTOGRAM_BINS, upperEdgeOf } from './latency-histogram.ts';

// Each side's requests, errors and latency per route over a sliding window, in memory on this
// replica: a ring of `buckets` time buckets per route, each with a latency histogram, so the
// step back and the admin page read what the replica they run on has seen. Recording touches
// preallocated typed arrays only; a route's ring is allocated on its first request.

export interface ExchangeOutcome {
  status: number;
  ms: number;
  /** Legacy answered because the new side failed: counted on the route. */
  fallback?: boolean;
  /** A 5xx, or no answer at all (connect error, timeout, open circuit). */
  error?: boolean;
}

export interface SideStats {
  /** The span `window` covers. */
  readonly windowMs: number;
  record(routeId: string, side: Side, outcome: ExchangeOutcome): void;
  /** One side's figures over the last window; zero requests and null percentiles when idle. */
  window(routeId: string, side: Side): SideWindow;
  /** New-side failures legacy answered, over the last window. */
  fallbacks(routeId: string): number;
  /** Every route that was recorded since start. */
  routes(): string[];
}

export interface SideStatsOptions {
  windowMs?: number;
  buckets?: number;
  /** Milliseconds, monotonic; tests pass their own clock. */
  now?: () => number;
}

interface RouteRing {
  /** The bucket number each slot holds now; -1 for never used. */
  epochs: Float64Array;
  /** Per side (legacy slots first, then new): requests, errors, slowest, histogram. */
  requests: Uint32Array;
  errors: Uint32Array;
  maxMs: Float64Array;
  bins: Uint32Array;
  fallbacks: Uint32Array;
}

const sideIndex = (side: Side) => (side === 'legacy' ? 0 : 1);

export function createSideStats(options: SideStatsOptions = {}): SideStats {
  const windowMs = options.windowMs ?? 60_000;
  const buckets = options.buckets ?? 12;
  if (!(Number.isInteger(buckets) && buckets >= 1)) throw new RangeError('buckets must be ≥ 1');
  if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
  const now = options.now ?? (() => performance.now());
  const bucketMs = windowMs / buckets;
  const rings = new Map<string, RouteRing>();

  const ringOf = (routeId: string): RouteRing => {
    let ring = rings.get(routeId);
    if (!ring) {
      ring = {
        epochs: new Float64Array(buckets).fill(-1),
        requests: new Uint32Array(2 * buckets),
        errors: new Uint32Array(2 * buckets),
        maxMs: new Float64Array(2 * buckets),
        bins: new Uint32Array(2 * buckets * HISTOGRAM_BINS),
        fallbacks: new Uint32Array(buckets),
      };
      rings.set(routeId, ring);
    }
    return ring;
  };

  /** The slot of the bucket `epoch`, emptied first when it still holds an older bucket. */
  const slotFor = (ring: RouteRing, epoch: number): number => {
    const slot = epoch % buckets;
    if (ring.epochs[slot] !== epoch) {
      ring.epochs[slot] = epoch;
      ring.fallbacks[slot] = 0;
      for (const s of [slot, buckets + slot]) {
        ring.requests[s] = 0;
        ring.errors[s] = 0;
        ring.maxMs[s] = 0;
        ring.bins.fill(0, s * HISTOGRAM_BINS, (s + 1) * HISTOGRAM_BINS);
      }
    }
    return slot;
  };

  /** Slots holding a bucket of the last window. */
  const liveSlots = (ring: RouteRing): number[] => {
    const current = Math.floor(now() / bucketMs);
    const live: number[] = [];
    for (let slot = 0; slot < buckets; slot += 1) {
      const epoch = ring.epochs[slot] ?? -1;
      if (epoch > current - buckets && epoch <= current) live.push(slot);
    }
    return live;
  };

  return {
    windowMs,
    record(routeId, side, outcome) {
      const ring = ringOf(routeId);
      const slot = slotFor(ring, Math.floor(now() / bucketMs));
      const s = sideIndex(side) * buckets + slot;
      ring.requests[s] = (ring.requests[s] ?? 0) + 1;
      if (outcome.error) ring.errors[s] = (ring.errors[s] ?? 0) + 1;
      if (outcome.fallback) ring.fallbacks[slot] = (ring.fallbacks[slot] ?? 0) + 1;
      const ms = Math.max(0, outcome.ms);
      if (ms > (ring.maxMs[s] ?? 0)) ring.maxMs[s] = ms;
      const bin = s * HISTOGRAM_BINS + binOf(ms);
      ring.bins[bin] = (ring.bins[bin] ?? 0) + 1;
    },
    window(routeId, side) {
      const ring = rings.get(routeId);
      const idle = { requests: 0, errors: 0, errorRate: 0, p95Ms: null, p99Ms: null };
      if (!ring) return idle;
      const slots = liveSlots(ring).map((slot) => sideIndex(side) * buckets + slot);
      let requests = 0;
      let errors = 0;
      let maxMs = 0;
      for (const s of slots) {
        requests += ring.requests[s] ?? 0;
        errors += ring.errors[s] ?? 0;
        maxMs = Math.max(maxMs, ring.maxMs[s] ?? 0);
      }
      if (requests === 0) return idle;
      // Nearest rank, reported as its bin's upper edge (never above the slowest seen).
      const percentile = (q: number): number => {
        const rank = Math.ceil(q * requests);
        let seen = 0;
        for (let bin = 0; bin < HISTOGRAM_BINS; bin += 1) {
          for (const s of slots) seen += ring.bins[s * HISTOGRAM_BINS + bin] ?? 0;
          if (seen >= rank) return Math.min(upperEdgeOf(bin), maxMs);
        }
        return maxMs;
      };
      return {
        requests,
        errors,
        errorRate: errors / requests,
        p95Ms: percentile(0.95),
        p99Ms: percentile(0.99),
      };
    },
    fallbacks(routeId) {
      const ring = rings.get(routeId);
      if (!ring) return 0;
      return liveSlots(ring).reduce((sum, slot) => sum + (ring.fallbacks[slot] ?? 0), 0);
    },
    routes: () => [...rings.keys()],
  };
}
