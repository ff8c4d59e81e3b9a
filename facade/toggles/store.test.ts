import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db/database.ts';
import { startPrivateRedis } from '../../test/support/redis-server.ts';
import {
  createTestRedis,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../test/support/services.ts';
import { appliedBy } from '../../test/support/toggle-replicas.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { createToggleStore, type ToggleStore, type ToggleStoreOptions } from './store.ts';
import { ToggleError } from './toggle-error.ts';

let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let db: Database;
let redis: TestRedis;
const stores: ToggleStore[] = [];

const open = async (options: Partial<ToggleStoreOptions> & { replicaId: string }) => {
  const store = createToggleStore({ db, prefix: redis.prefix, pollMs: 1_000, ...options });
  stores.push(store);
  await store.start();
  return store;
};

beforeAll(async () => {
  facadeDb = await openMigratedTestDatabase('toggle_store', FACADE_MIGRATIONS);
  db = facadeDb.handle.db;
  redis = createTestRedis('toggle_store');
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.stop()));
  await redis.cleanup();
  await facadeDb.cleanup();
});

const admin = randomUUID();
const figures = {
  parity: { matchRate: 0.995, samples: 1_200 },
  legacy: { requests: 1_200, errorRate: 0.001, p95Ms: 12, p99Ms: 30 },
  new: { requests: 1_200, errorRate: 0, p95Ms: 9, p99Ms: 21 },
};

describe('the toggle store', () => {
  it('journals a change: who, when, from, to, why, the figures, and its version', async () => {
    const store = await open({ replicaId: 'journal' });
    const before = store.current().version;
    const changed = await store.change({
      routeId: 'payments.read.by-id',
      mode: 'shadow',
      reason: 'start comparing',
      changedBy: admin,
      figures,
    });
    expect(changed).toMatchObject({ mode: 'shadow', percentage: 0, version: before + 1 });
    expect(store.toggle('payments.read.by-id')).toEqual(changed);
    const [entry] = await store.journal('payments.read.by-id', 1);
    expect(entry).toMatchObject({
      routeId: 'payments.read.by-id',
      version: before + 1,
      kind: 'change',
      changedBy: admin,
      changedAt: changed.changedAt,
      from: { mode: 'monolith', percentage: 0 },
      to: { mode: 'shadow', percentage: 0 },
      reason: 'start comparing',
      forced: false,
      figures,
    });
  });

  it('numbers changes one by one across routes, and keeps a forced flag', async () => {
    const store = await open({ replicaId: 'versions' });
    const start = store.current().version;
    const versions = [];
    for (const [routeId, percentage] of [
      ['users.read.profile', 10],
      ['users.write.register', 0],
      ['users.read.profile', 25],
    ] as const) {
      const changed = await store.change({
        routeId,
        mode: 'canary',
        percentage,
        reason: 'step',
        changedBy: admin,
        forced: routeId === 'users.write.register',
      });
      versions.push(changed.version);
    }
    expect(versions).toEqual([start + 1, start + 2, start + 3]);
    expect(store.current().version).toBe(start + 3);
    const journal = await store.journal(undefined, 3);
    expect(journal.map((e) => [e.version, e.routeId, e.forced])).toEqual([
      [start + 3, 'users.read.profile', false],
      [start + 2, 'users.write.register', true],
      [start + 1, 'users.read.profile', false],
    ]);
    expect(journal[0]).toMatchObject({
      from: { mode: 'canary', percentage: 10 },
      to: { mode: 'canary', percentage: 25 },
    });
  });

  it('rolls a route back to where it was before its last change, journaled as a rollback', async () => {
    const store = await open({ replicaId: 'rollback' });
    const routeId = 'catalog.read.product';
    await store.change({ routeId, mode: 'canary', percentage: 30, reason: 'a', changedBy: admin });
    await store.change({ routeId, mode: 'extracted', reason: 'b', changedBy: admin });
    const rolledBack = await store.rollback(routeId, { changedBy: admin, reason: 'errors up' });
    expect(rolledBack).toMatchObject({ mode: 'canary', percentage: 30, reason: 'errors up' });
    expect(store.toggle(routeId)).toEqual(rolledBack);
    const [entry] = await store.journal(routeId, 1);
    expect(entry).toMatchObject({
      kind: 'rollback',
      version: rolledBack.version,
      from: { mode: 'extracted', percentage: 30 },
      to: { mode: 'canary', percentage: 30 },
      reason: 'errors up',
      changedBy: admin,
    });
  });

  it('refuses a change without a reason and a rollback of a route never changed, changing nothing', async () => {
    const store = await open({ replicaId: 'refusals' });
    const version = (await store.replicas()).version;
    const journalSize = (await store.journal(undefined, 500)).length;
    await expect(
      store.change({ routeId: 'orders.read.list', mode: 'shadow', reason: '  ', changedBy: admin }),
    ).rejects.toThrow(ToggleError);
    await expect(
      store.change({
        routeId: 'orders.read.list',
        mode: 'canary',
        percentage: 101,
        reason: 'x',
        changedBy: admin,
      }),
    ).rejects.toThrow(ToggleError);
    await expect(
      store.rollback('orders.read.list', { changedBy: admin, reason: 'x' }),
    ).rejects.toMatchObject({ code: 'nothing-to-roll-back' });
    expect((await store.replicas()).version).toBe(version);
    expect(await store.journal(undefined, 500)).toHaveLength(journalSize);
    expect(store.toggle('orders.read.list')).toMatchObject({ mode: 'monolith', version: 0 });
  });

  it('refuses a compare-and-set change once the route moved: of two decided on one version, one lands', async () => {
    const store = await open({ replicaId: 'cas' });
    const routeId = 'users.read.by-id';
    const seen = store.toggle(routeId).version;
    const attempts = await Promise.allSettled(
      ['first', 'second'].map((who) =>
        store.change({ routeId, mode: 'shadow', reason: who, changedBy: who, expectVersion: seen }),
      ),
    );
    expect(attempts.map((a) => a.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = attempts.find((a) => a.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(ToggleError);
    expect(refused?.reason).toMatchObject({ code: 'version-moved' });
    expect(await store.journal(routeId)).toHaveLength(1);
  });
});

describe('two replicas on one database', () => {
  it('the other replica applies a change on the Redis message, not by polling', async () => {
    // Polling only every minute while subscribed: the message is the only way in time.
    const a = await open({ replicaId: 'pubsub-a', redis: redis.connect(), safetyPollMs: 60_000 });
    const b = await open({ replicaId: 'pubsub-b', redis: redis.connect(), safetyPollMs: 60_000 });
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const next = (await a.replicas()).version + 1;
      const applied = appliedBy(b, next);
      const started = performance.now();
      await a.change({
        routeId: 'payments.read.list',
        mode: i % 2 === 0 ? 'shadow' : 'monolith',
        reason: `flip ${i}`,
        changedBy: admin,
      });
      const { via, at } = await applied;
      expect(via).toBe('message');
      latencies.push(at - started);
    }
    expect(b.toggle('payments.read.list')).toEqual(a.toggle('payments.read.list'));
    console.info(
      `toggle propagation over Redis pub/sub (change() called → other replica applied), ms: ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`,
    );
  });

  it('converges by polling while Redis is down, and each replica reports its version and lag', async () => {
    const server = await startPrivateRedis();
    const clients = [0, 1].map(() => {
      const client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
      client.on('error', () => {});
      return client;
    });
    try {
      const a = await open({ replicaId: 'cut-a', redis: clients[0], pollMs: 200 });
      const b = await open({ replicaId: 'cut-b', redis: clients[1], pollMs: 200 });
      await server.kill();
      const next = (await a.replicas()).version + 1;
      const applied = appliedBy(b, next);
      const started = performance.now();
      await a.change({
        routeId: 'payments.write.capture',
        mode: 'shadow',
        reason: 'dry-run mirror',
        changedBy: admin,
      });
      const { via, at } = await applied;
      expect(via).toBe('poll');
      expect(b.toggle('payments.write.capture')).toMatchObject({ mode: 'shadow', version: next });
      console.info(
        `toggle propagation with Redis down (polling every 200 ms): ${(at - started).toFixed(1)} ms`,
      );

      const report = await a.replicas();
      expect(report.version).toBe(next);
      expect(report.items.filter((r) => r.replicaId.startsWith('cut-'))).toEqual([
        expect.objectContaining({ replicaId: 'cut-a', appliedVersion: next, lag: 0 }),
        expect.objectContaining({ replicaId: 'cut-b', appliedVersion: next, lag: 0 }),
      ]);

      // A replica that stops applying shows its lag.
      await b.stop();
      await a.change({
        routeId: 'payments.write.capture',
        mode: 'monolith',
        reason: 'x',
        changedBy: admin,
      });
      const lagging = (await a.replicas()).items.find((r) => r.replicaId === 'cut-b');
      expect(lagging).toMatchObject({ appliedVersion: next, lag: 1 });
    } finally {
      await server.stop();
      for (const client of clients) client.disconnect();
    }
  });
});
