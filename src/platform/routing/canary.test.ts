import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, sideFor, stickyKeyOf } from './canary.ts';

// 10,000 simulated users: sequential ids (close keys) and uuids (fixed seed, so the run repeats).
const sequential = Array.from({ length: 10_000 }, (_, i) =>
  stickyKeyOf({ userId: `user-${i}`, clientKey: 'x' }),
);
const uuids = fc
  .sample(fc.uuid(), { numRuns: 10_000, seed: 20_260_101 })
  .map((id) => stickyKeyOf({ userId: id, clientKey: 'x' }));
const routeId = 'payments.read.by-id';

const shareOnNew = (keys: readonly string[], route: string, percentage: number) =>
  (100 *
    keys.filter((stickyKey) => sideFor({ routeId: route, percentage, stickyKey }) === 'new')
      .length) /
  keys.length;

describe('sideFor', () => {
  it.each([1, 5, 10, 25, 33.3, 50, 75, 90, 99])(
    'sends %s %% of 10,000 users to the new side, within ±2 points',
    (percentage) => {
      expect(
        Math.abs(shareOnNew(sequential, routeId, percentage) - percentage),
      ).toBeLessThanOrEqual(2);
      expect(Math.abs(shareOnNew(uuids, routeId, percentage) - percentage)).toBeLessThanOrEqual(2);
    },
  );

  it('sends nobody at 0 % and everybody at 100 %', () => {
    expect(shareOnNew(sequential, routeId, 0)).toBe(0);
    expect(shareOnNew(sequential, routeId, 100)).toBe(100);
  });

  it('only moves users legacy → new when the percentage rises, new → legacy when it falls', () => {
    const percentage = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);
    fc.assert(
      fc.property(fc.string(), fc.string(), percentage, percentage, (route, stickyKey, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const atLow = sideFor({ routeId: route, percentage: low, stickyKey });
        const atHigh = sideFor({ routeId: route, percentage: high, stickyKey });
        // new at the lower percentage ⇒ new at the higher; legacy at the higher ⇒ legacy at the lower
        expect(atLow === 'new' && atHigh === 'legacy').toBe(false);
      }),
    );
  });

  it('moves exactly the users whose buckets the change crosses, over a ramp 0 → 100 → 0', () => {
    const ramp = [0, 1, 5, 10, 25, 50, 75, 100, 60, 20, 2, 0];
    let previous = sequential.map((stickyKey) => sideFor({ routeId, percentage: 0, stickyKey }));
    for (const [step, percentage] of ramp.entries()) {
      const now = sequential.map((stickyKey) => sideFor({ routeId, percentage, stickyKey }));
      const rising = step > 0 && percentage >= ramp[step - 1]!;
      const wrongWay = now.filter((side, i) =>
        rising
          ? previous[i] === 'new' && side === 'legacy'
          : previous[i] === 'legacy' && side === 'new',
      );
      expect({ percentage, wrongWay: wrongWay.length }).toEqual({ percentage, wrongWay: 0 });
      previous = now;
    }
  });

  it('keeps every user on one side while the percentage holds', () => {
    const first = uuids.map((stickyKey) => sideFor({ routeId, percentage: 30, stickyKey }));
    for (let round = 0; round < 5; round++) {
      expect(uuids.map((stickyKey) => sideFor({ routeId, percentage: 30, stickyKey }))).toEqual(
        first,
      );
    }
  });

  it('buckets routes independently: at 50 % on two routes, about a quarter is new on both', () => {
    const onNew = (route: string) =>
      sequential.map(
        (stickyKey) => sideFor({ routeId: route, percentage: 50, stickyKey }) === 'new',
      );
    const reads = onNew('payments.read.by-id');
    const writes = onNew('payments.write.capture');
    const both = (100 * reads.filter((isNew, i) => isNew && writes[i]).length) / sequential.length;
    expect(Math.abs(both - 25)).toBeLessThanOrEqual(2);
  });

  it('takes 0.01 steps: each adds one bucket', () => {
    let n = 0;
    while (bucketOf(routeId, `user:${n}`) !== 1234) n++;
    const stickyKey = `user:${n}`;
    expect(sideFor({ routeId, percentage: 12.34, stickyKey })).toBe('legacy');
    expect(sideFor({ routeId, percentage: 12.35, stickyKey })).toBe('new');
  });

  it('refuses a percentage outside 0–100', () => {
    for (const percentage of [-1, 100.5, Number.NaN]) {
      expect(() => sideFor({ routeId, percentage, stickyKey: 'user:a' })).toThrow(RangeError);
    }
  });
});

describe('bucketOf', () => {
  it('is a bucket 0–9999', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (route, key) => {
        const bucket = bucketOf(route, key);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKETS).toBe(true);
      }),
    );
  });

  it('does not confuse where the route id ends and the key begins', () => {
    expect(bucketOf('ab', 'c')).not.toBe(bucketOf('a', 'bc'));
  });
});

describe('stickyKeyOf', () => {
  it('sticks a signed-in user by user, whatever client, and an anonymous one by client', () => {
    expect(stickyKeyOf({ userId: 'u1', clientKey: 'k1' })).toBe(
      stickyKeyOf({ userId: 'u1', clientKey: 'k2' }),
    );
    expect(stickyKeyOf({ clientKey: 'k1' })).toBe('client:k1');
    expect(stickyKeyOf({ userId: 'k1', clientKey: 'k1' })).not.toBe(
      stickyKeyOf({ clientKey: 'k1' }),
    );
  });
});
