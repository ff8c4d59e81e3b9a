import { describe, expect, it } from 'vitest';
import { sideWindowSchema } from '../admin/overview-schema.ts';
import { binOf, HISTOGRAM_BINS, upperEdgeOf } from './latency-histogram.ts';
import { createSideStats } from './side-stats.ts';

const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('side stats', () => {
  it("counts each side's requests and errors apart, and fallbacks on the route", () => {
    const time = clock();
    const stats = createSideStats({ now: time.now });
    for (let i = 0; i < 90; i += 1)
      stats.record('payments.read.by-id', 'legacy', { status: 200, ms: 10 });
    for (let i = 0; i < 10; i += 1)
      stats.record('payments.read.by-id', 'legacy', { status: 503, ms: 10, error: true });
    for (let i = 0; i < 40; i += 1)
      stats.record('payments.read.by-id', 'new', { status: 200, ms: 5 });
    stats.record('payments.read.by-id', 'new', { status: 0, ms: 5, error: true, fallback: true });

    const legacy = stats.window('payments.read.by-id', 'legacy');
    expect(legacy).toEqual({ requests: 100, errors: 10, errorRate: 0.1, p95Ms: 10, p99Ms: 10 });
    expect(sideWindowSchema.parse(legacy)).toEqual(legacy);
    expect(stats.window('payments.read.by-id', 'new')).toMatchObject({ requests: 41, errors: 1 });
    expect(stats.fallbacks('payments.read.by-id')).toBe(1);
    expect(stats.window('users.read.me', 'legacy')).toEqual({
      requests: 0,
      errors: 0,
      errorRate: 0,
      p95Ms: null,
      p99Ms: null,
    });
  });

  it('reports p95 and p99 within a bin (12.5 %) of the true latency, never below it', () => {
    const stats = createSideStats({ now: clock().now });
    // 1..1000 ms once each: p95 is 950 ms, p99 990 ms.
    for (let ms = 1; ms <= 1_000; ms += 1) stats.record('r.read.x', 'new', { status: 200, ms });
    const { p95Ms, p99Ms } = stats.window('r.read.x', 'new');
    expect(p95Ms).toBeGreaterThanOrEqual(950);
    expect(p95Ms).toBeLessThanOrEqual(950 * 1.125);
    expect(p99Ms).toBeGreaterThanOrEqual(990);
    expect(p99Ms).toBeLessThanOrEqual(1_000);
  });

  it('lets old buckets fall out of the window as the clock moves', () => {
    const time = clock();
    const stats = createSideStats({ windowMs: 60_000, buckets: 12, now: time.now });
    for (let i = 0; i < 10; i += 1)
      stats.record('r.read.x', 'legacy', { status: 500, ms: 900, error: true });
    time.advance(30_000);
    for (let i = 0; i < 30; i += 1) stats.record('r.read.x', 'legacy', { status: 200, ms: 20 });
    expect(stats.window('r.read.x', 'legacy')).toMatchObject({ requests: 40, errors: 10 });

    // The first batch's bucket is now more than a window old; the second is not.
    time.advance(35_000);
    expect(stats.window('r.read.x', 'legacy')).toEqual({
      requests: 30,
      errors: 0,
      errorRate: 0,
      p95Ms: 20,
      p99Ms: 20,
    });

    // A bucket's slot reused by a later bucket starts empty.
    stats.record('r.read.x', 'legacy', { status: 200, ms: 20 });
    expect(stats.window('r.read.x', 'legacy').requests).toBe(31);

    time.advance(60_000);
    expect(stats.window('r.read.x', 'legacy')).toMatchObject({ requests: 0, p99Ms: null });
  });

  it('bins every latency into one of its fixed bins, edges above the value', () => {
    for (const ms of [0, 0.4, 1, 1.5, 7, 100, 999, 65_535, 10_000_000]) {
      const bin = binOf(ms);
      expect(bin).toBeGreaterThanOrEqual(0);
      expect(bin).toBeLessThan(HISTOGRAM_BINS);
      expect(upperEdgeOf(bin)).toBeGreaterThan(ms);
    }
    expect(binOf(100)).toBeLessThan(binOf(120));
  });
});
