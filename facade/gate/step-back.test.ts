import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db/database.ts';
import { eventually, openMigratedTestDatabase } from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import type { Side } from '../proxy/exchange.ts';
import { routeTable } from '../routes/route-table.ts';
import { createSideStats, type SideStats } from '../stats/side-stats.ts';
import { createToggleStore, type ToggleStore } from '../toggles/store.ts';
import { createStepBack, STEP_BACK_ACTOR } from './step-back.ts';

let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let db: Database;
const stores: ToggleStore[] = [];

const openStore = async (replicaId: string) => {
  const store = createToggleStore({ db, prefix: 'unused', replicaId, pollMs: 100 });
  stores.push(store);
  await store.start();
  return store;
};

beforeAll(async () => {
  facadeDb = await openMigratedTestDatabase('step_back', FACADE_MIGRATIONS);
  db = facadeDb.handle.db;
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.stop()));
  await facadeDb.cleanup();
});

const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

/** `count` requests on one side, the first `errors` of them failed, each taking `ms`. */
const feed = (
  stats: SideStats,
  routeId: string,
  side: Side,
  count: number,
  errors: number,
  ms: number,
) => {
  for (let i = 0; i < count; i += 1) {
    const error = i < errors;
    stats.record(routeId, side, { status: error ? 503 : 200, ms, error });
  }
};

const place = (
  store: ToggleStore,
  routeId: string,
  mode: 'canary' | 'extracted',
  percentage: number,
) => store.change({ routeId, mode, percentage, reason: 'moving on', changedBy: 'admin' });

describe('the automatic step back', () => {
  it('steps a canary back to shadow on an error-rate regression, journaled with the numbers', async () => {
    const store = await openStore('error-rate');
    const stats = createSideStats({ now: clock().now });
    const stepBack = createStepBack({ store, table: routeTable, stats });
    const routeId = 'payments.read.by-id';
    await place(store, routeId, 'canary', 20);
    feed(stats, routeId, 'legacy', 200, 2, 10);
    feed(stats, routeId, 'new', 100, 12, 10);

    const [step] = await stepBack.check();
    expect(step).toMatchObject({
      routeId,
      from: { mode: 'canary', percentage: 20 },
      to: { mode: 'shadow', percentage: 20 },
    });
    expect(store.toggle(routeId)).toMatchObject({ mode: 'shadow', changedBy: STEP_BACK_ACTOR });
    const [entry] = await store.journal(routeId, 1);
    expect(entry).toMatchObject({
      changedBy: STEP_BACK_ACTOR,
      from: { mode: 'canary', percentage: 20 },
      to: { mode: 'shadow', percentage: 20 },
      forced: false,
      figures: {
        new: { requests: 100, errorRate: 0.12 },
        legacy: { requests: 200, errorRate: 0.01 },
      },
    });
    expect(entry?.reason).toBe(
      'new side regressed over the last 60 s: error rate 12.00% over 100 requests vs legacy 1.00% (margin 5.00%)',
    );
    // Shadow serves nobody from the new side: nothing more to step back.
    expect(await stepBack.check()).toEqual([]);
  });

  it('steps extracted back to canary at 50 % on a p99 regression, against legacy before the move', async () => {
    const store = await openStore('p99');
    const time = clock();
    const stats = createSideStats({ now: time.now });
    const stepBack = createStepBack({ store, table: routeTable, stats });
    const routeId = 'users.read.me';
    await place(store, routeId, 'canary', 30);
    feed(stats, routeId, 'legacy', 200, 0, 20);
    feed(stats, routeId, 'new', 100, 0, 25);
    expect(await stepBack.check()).toEqual([]);

    await place(store, routeId, 'extracted', 0);
    // Legacy's own traffic has left the window; the new side now takes 300 ms.
    time.advance(90_000);
    feed(stats, routeId, 'new', 100, 0, 300);
    const [step] = await stepBack.check();
    expect(step).toMatchObject({ to: { mode: 'canary', percentage: 50 } });
    const [entry] = await store.journal(routeId, 1);
    expect(entry).toMatchObject({
      changedBy: STEP_BACK_ACTOR,
      from: { mode: 'extracted', percentage: 0 },
      to: { mode: 'canary', percentage: 50 },
      figures: { new: { requests: 100, p99Ms: 300 }, legacy: { requests: 200, p99Ms: 20 } },
    });
    expect(entry?.reason).toContain('p99 300 ms vs legacy 20 ms (limit 90 ms)');

    // The window still holds what caused it: the canary it stepped to is not judged on it.
    expect(await stepBack.check()).toEqual([]);
    expect(store.toggle(routeId).mode).toBe('canary');
  });

  it('does not judge a new side with fewer than minRequests in the window', async () => {
    const store = await openStore('few');
    const stats = createSideStats({ now: clock().now });
    const stepBack = createStepBack({ store, table: routeTable, stats, minRequests: 50 });
    const routeId = 'payments.read.list';
    await place(store, routeId, 'canary', 10);
    feed(stats, routeId, 'legacy', 500, 0, 10);
    feed(stats, routeId, 'new', 49, 49, 5_000);
    expect(await stepBack.check()).toEqual([]);
    expect(store.toggle(routeId).mode).toBe('canary');

    feed(stats, routeId, 'new', 1, 1, 5_000);
    expect(await stepBack.check()).toHaveLength(1);
  });

  it('steps a route back once when two replicas judge it at the same time', async () => {
    const [one, two] = [await openStore('replica-one'), await openStore('replica-two')];
    const routeId = 'users.read.by-id';
    const changed = await place(one, routeId, 'canary', 40);
    await eventually(() => expect(two.toggle(routeId).version).toBe(changed.version));
    const stepBacks = [one, two].map((store) => {
      const stats = createSideStats({ now: () => 0 });
      feed(stats, routeId, 'legacy', 300, 0, 10);
      feed(stats, routeId, 'new', 300, 60, 10);
      return createStepBack({ store, table: routeTable, stats });
    });

    const taken = await Promise.all(stepBacks.map((stepBack) => stepBack.check()));
    expect(taken.flat()).toHaveLength(1);
    const steps = (await one.journal(routeId)).filter((e) => e.changedBy === STEP_BACK_ACTOR);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ from: { mode: 'canary' }, to: { mode: 'shadow' } });
  });
});
