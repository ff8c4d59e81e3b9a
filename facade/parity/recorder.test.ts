import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Database,
  type DatabaseHandle,
  openDatabase,
} from '../../src/platform/db/database.ts';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.ts';
import {
  eventually,
  openMigratedTestDatabase,
  TEST_POSTGRES_URL,
} from '../../test/support/services.ts';
import { type ParityFigures, parityFiguresSchema } from '../admin/overview-schema.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { routeParity } from '../schema.ts';
import type { Comparison } from './compare.ts';
import { absentValue, createParityRecorder, type ParityRecorderOptions } from './recorder.ts';

let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let db: Database;
let proxy: FaultProxy;
/** The same database through a fault proxy, as a replica that loses it sees it. */
let viaProxy: DatabaseHandle;
beforeAll(async () => {
  facadeDb = await openMigratedTestDatabase('parity_recorder', FACADE_MIGRATIONS);
  db = facadeDb.handle.db;
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  viaProxy = await openDatabase({
    url: proxy.via(facadeDb.url),
    dataDir: '',
    name: 'parity-via-proxy',
    timeouts: { statementMs: 2_000, connectMs: 1_000 },
  });
});
afterAll(async () => {
  await Promise.all(recorders.map((recorder) => recorder.stop()));
  await viaProxy.close().catch(() => {});
  await proxy.close();
  await facadeDb.cleanup();
});

const recorders: ReturnType<typeof createParityRecorder>[] = [];
const recorder = (options: Partial<ParityRecorderOptions> & { replicaId: string }) => {
  const created = createParityRecorder({ db, versionOf: () => 1, ...options });
  recorders.push(created);
  return created;
};

let routes = 0;
const freshRoute = () => {
  routes += 1;
  return `payments.read.r${routes}`;
};

const equal: Comparison = { equal: true, diffs: [] };
const differs = (legacy: unknown, fresh: unknown, path = 'amount'): Comparison => ({
  equal: false,
  diffs: [{ path, legacy, new: fresh }],
});
const byRequest = (figures: ParityFigures) => ({
  ...figures,
  diffs: [...figures.diffs].sort((a, b) => a.requestId.localeCompare(b.requestId)),
});
const request = (n: number) => ({
  requestId: `req-${n}`,
  method: 'GET',
  url: `/api/payments/p${n}`,
});

describe('the parity recorder', () => {
  it('gives one answer over two replicas: their samples, drops and diffs summed', async () => {
    const routeId = freshRoute();
    const a = recorder({ replicaId: 'a' });
    const b = recorder({ replicaId: 'b' });
    for (let n = 0; n < 3; n++) a.compared(routeId, request(n), equal);
    a.compared(routeId, request(3), differs(1250, 1205));
    a.dropped(routeId, 'queue-full');
    b.compared(routeId, request(4), equal);
    b.compared(routeId, request(5), differs(1, 2));
    b.mirrorFailed(routeId);
    b.dropped(routeId, 'queue-full');
    b.dropped(routeId, 'body-too-large');
    await a.flush();
    await b.flush();

    const expected = {
      samples: 6,
      matchRate: 4 / 6,
      mismatches: 2,
      mirrorErrors: 1,
      drops: { 'queue-full': 2, 'body-too-large': 1 },
      noise: [],
    };
    const seen = [await a.figures(routeId), await b.figures(routeId)];
    for (const figures of seen) {
      expect(parityFiguresSchema.parse(figures)).toEqual(figures);
      expect(figures).toMatchObject(expected);
      expect(figures.diffs.map((diff) => diff.requestId).sort()).toEqual(['req-3', 'req-5']);
    }
    // A third replica that counted nothing reads the same from the table alone (samples taken
    // within one millisecond have no order among them).
    const third = await recorder({ replicaId: 'c' }).figures(routeId);
    expect(byRequest(third)).toEqual(byRequest(seen[0] ?? third));
  });

  it('counts this replica’s unflushed figures in, once', async () => {
    const routeId = freshRoute();
    const a = recorder({ replicaId: 'a' });
    a.compared(routeId, request(1), equal);
    expect(await a.figures(routeId)).toMatchObject({ samples: 1, matchRate: 1 });
    await a.flush();
    a.compared(routeId, request(2), differs(1, 2));
    expect(await a.figures(routeId)).toMatchObject({ samples: 2, mismatches: 1 });
  });

  it('starts from zero when a route enters shadow again, and keeps its noise', async () => {
    const routeId = freshRoute();
    let since = 10;
    const a = recorder({ replicaId: 'a', versionOf: () => since });
    const b = recorder({ replicaId: 'b', versionOf: () => since });
    for (let n = 0; n < 4; n++) a.compared(routeId, request(n), equal);
    a.compared(routeId, request(4), differs('x', 'y'));
    a.learnNoise(routeId, ['items[2].createdAt', 'readAt']);
    b.compared(routeId, request(5), equal);
    await a.flush();
    await b.flush();
    expect(await b.figures(routeId)).toMatchObject({ samples: 6, mismatches: 1 });

    since = 14;
    const zero = {
      samples: 0,
      matchRate: null,
      mismatches: 0,
      mirrorErrors: 0,
      drops: {},
      noise: ['items[*].createdAt', 'readAt'],
      diffs: [],
    };
    expect(await b.figures(routeId)).toEqual(zero);
    await a.flush();
    await b.flush();
    expect(await recorder({ replicaId: 'c', versionOf: () => since }).figures(routeId)).toEqual(
      zero,
    );
    // b learned a's noise through the table, so it compares with it.
    expect([...b.noise(routeId)].sort()).toEqual(['items[*].createdAt', 'readAt']);
    a.compared(routeId, request(6), equal);
    expect(await b.figures(routeId)).toMatchObject({ samples: 0 });
    await a.flush();
    expect(await b.figures(routeId)).toMatchObject({ samples: 1, matchRate: 1 });
  });

  it('goes on from its row when a replica restarts under the same id', async () => {
    const routeId = freshRoute();
    const before = recorder({ replicaId: 'restarting' });
    for (let n = 0; n < 3; n++) before.compared(routeId, request(n), equal);
    before.compared(routeId, request(3), differs(1, 2));
    await before.stop();

    const after = recorder({ replicaId: 'restarting' });
    after.compared(routeId, request(4), equal);
    expect(await after.figures(routeId)).toMatchObject({ samples: 5, mismatches: 1 });
    await after.flush();
    await after.flush();
    const figures = await recorder({ replicaId: 'reader' }).figures(routeId);
    expect(figures).toMatchObject({ samples: 5, mismatches: 1 });
    expect(figures.diffs.map((diff) => diff.requestId)).toEqual(['req-3']);
  });

  it('keeps the last maxDiffs samples, newest first, with long values cut', async () => {
    const routeId = freshRoute();
    const a = recorder({ replicaId: 'a', maxDiffs: 3 });
    let ticks = 0;
    const timed = recorder({
      replicaId: 'timed',
      maxDiffs: 3,
      now: () => {
        ticks += 1;
        return new Date(Date.parse('2026-03-01T10:00:00.000Z') + ticks * 1_000);
      },
    });
    for (let n = 0; n < 5; n++) timed.compared(routeId, request(n), differs(n, 'x'.repeat(500)));
    timed.compared(routeId, request(5), differs(undefined, null, 'extra'));
    await timed.flush();

    const figures = await a.figures(routeId);
    expect(figures.samples).toBe(6);
    expect(figures.diffs.map((diff) => diff.requestId)).toEqual(['req-5', 'req-4', 'req-3']);
    expect(figures.diffs[0]?.diffs).toEqual([{ path: 'extra', legacy: absentValue, new: null }]);
    expect(figures.diffs[1]?.diffs).toEqual([
      { path: 'amount', legacy: 4, new: `${'x'.repeat(200)}…` },
    ]);
  });

  it('calls the metrics hooks for each comparison and drop', () => {
    const routeId = freshRoute();
    const compared: Array<[string, boolean]> = [];
    const dropped: Array<[string, string]> = [];
    const a = recorder({
      replicaId: 'a',
      onCompared: (route, same) => compared.push([route, same]),
      onDropped: (route, reason) => dropped.push([route, reason]),
    });
    a.compared(routeId, request(1), equal);
    a.compared(routeId, request(2), differs(1, 2));
    a.dropped(routeId, 'queue-full');
    expect(compared).toEqual([
      [routeId, true],
      [routeId, false],
    ]);
    expect(dropped).toEqual([[routeId, 'queue-full']]);
  });

  it('loses nothing to a flush while the database is cut: the counts arrive once it is back', async () => {
    const routeId = freshRoute();
    const cutOff = createParityRecorder({
      db: viaProxy.db,
      replicaId: 'cut-off',
      versionOf: () => 1,
      flushMs: 50,
    });
    recorders.push(cutOff);
    await cutOff.start();
    const reader = recorder({ replicaId: 'reader' });
    for (let n = 0; n < 3; n++) cutOff.compared(routeId, request(n), equal);
    await eventually(async () =>
      expect(await reader.figures(routeId)).toMatchObject({ samples: 3 }),
    );

    await proxy.cut();
    cutOff.compared(routeId, request(3), differs(1, 2));
    cutOff.mirrorFailed(routeId);
    cutOff.dropped(routeId, 'queue-full');
    await expect(cutOff.flush()).rejects.toThrow();
    const [row] = await db
      .select()
      .from(routeParity)
      .where(and(eq(routeParity.routeId, routeId), eq(routeParity.replicaId, 'cut-off')));
    expect(row).toMatchObject({ samples: 3, mirrorErrors: 0 });

    await proxy.restore();
    await eventually(async () =>
      expect(await reader.figures(routeId)).toMatchObject({
        samples: 4,
        mismatches: 1,
        mirrorErrors: 1,
        drops: { 'queue-full': 1 },
      }),
    );
  });
});
