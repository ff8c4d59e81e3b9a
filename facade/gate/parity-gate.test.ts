import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENTS_SERVICE_MIGRATIONS } from '../../extracted/payments-service/index.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { type ModuleHarness, openModuleHarness } from '../../test/support/module-harness.ts';
import { openMigratedTestDatabase } from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { capabilities } from '../extraction/capabilities.ts';
import { type VerifyReport, verifyCapability } from '../extraction/verify.ts';
import { recordVerifyInFacade } from '../extraction/verify-record.ts';
import { routeTable } from '../routes/route-table.ts';
import { type ProposedChange, toggleAdminRoutes } from '../toggles/admin-routes.ts';
import { createToggleStore, type ToggleStore } from '../toggles/store.ts';
import { createParityGate, gateFiguresSchema } from './parity-gate.ts';
import { liveVerify, recordedVerify, recordVerifyReport } from './verify-source.ts';

let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let db: Database;

beforeAll(async () => {
  facadeDb = await openMigratedTestDatabase('parity_gate', FACADE_MIGRATIONS);
  db = facadeDb.handle.db;
});
afterAll(async () => {
  await facadeDb.cleanup();
});

/** The route's shadow parity as the parity recorder would answer it. */
const parityOf = (figures: Record<string, { matchRate: number | null; samples: number }>) => ({
  figures: async (routeId: string) => figures[routeId] ?? { matchRate: null, samples: 0 },
});

const report = (capability: string, differences: Partial<VerifyReport> = {}): VerifyReport => ({
  capability,
  legacyRows: 120,
  serviceRows: 120,
  matches: 120,
  mismatches: 0,
  mismatchExamples: [],
  missingInService: { count: 0, ids: [] },
  missingInLegacy: { count: 0, ids: [] },
  conflicts: [],
  equal: true,
  ...differences,
});

const move = (routeId: string, to: ProposedChange['to'], forced = false): ProposedChange => ({
  routeId,
  from: { mode: 'shadow', percentage: 0 },
  to,
  reason: 'parity looks good',
  changedBy: 'admin',
  forced,
  figures: {},
});

describe('the parity gate', () => {
  it('refuses below the threshold, below the minimum samples, and without a verify report, with the numbers', async () => {
    const gate = createParityGate({
      table: routeTable,
      parity: parityOf({
        'users.read.me': { matchRate: 0.95, samples: 500 },
        'users.read.by-id': { matchRate: 1, samples: 40 },
      }),
      verify: recordedVerify(db),
    });

    const lowRate = await gate(move('users.read.me', { mode: 'extracted', percentage: 0 }));
    expect(lowRate).toEqual({
      allowed: false,
      problem: expect.objectContaining({
        status: 409,
        type: 'https://commerce.example/errors/parity-gate-refused',
        matchRate: 0.95,
        samples: 500,
        threshold: 0.99,
        minSamples: 100,
        verify: null,
        reasons: ['match rate 95.00% below 99.00%', 'extract:verify has no report for users'],
      }),
    });

    await recordVerifyReport(db, report('users'));
    const fewSamples = await gate(move('users.read.by-id', { mode: 'canary', percentage: 10 }));
    expect(fewSamples).toMatchObject({
      allowed: false,
      problem: {
        matchRate: 1,
        samples: 40,
        verify: { equal: true, mismatches: 0, missingInService: 0, missingInLegacy: 0 },
        reasons: ['40 shadow samples, 100 needed'],
      },
    });
  });

  it('refuses while verify reports a difference, or when its report is stale', async () => {
    let now = Date.now();
    const gate = createParityGate({
      table: routeTable,
      parity: parityOf({ 'payments.read.by-id': { matchRate: 0.999, samples: 2_000 } }),
      verify: recordedVerify(db),
      verifyMaxAgeMs: 60_000,
      now: () => now,
    });
    const checked = await recordVerifyReport(
      db,
      report('payments', {
        equal: false,
        mismatches: 2,
        missingInService: { count: 3, ids: ['a', 'b', 'c'] },
      }),
    );
    const unequal = await gate(move('payments.read.by-id', { mode: 'extracted', percentage: 0 }));
    expect(unequal).toMatchObject({
      allowed: false,
      problem: {
        matchRate: 0.999,
        samples: 2_000,
        verify: {
          equal: false,
          mismatches: 2,
          missingInService: 3,
          missingInLegacy: 0,
          checkedAt: checked.checkedAt,
        },
        reasons: [
          'extract:verify for payments found differences: 2 mismatched, 3 missing in the service, 0 missing in legacy, 0 conflicts',
        ],
      },
    });

    const equal = await recordVerifyReport(db, report('payments'));
    expect(await gate(move('payments.read.by-id', { mode: 'extracted', percentage: 0 }))).toEqual({
      allowed: true,
    });

    now = Date.parse(equal.checkedAt) + 5 * 60_000;
    expect(
      await gate(move('payments.read.by-id', { mode: 'extracted', percentage: 0 })),
    ).toMatchObject({
      allowed: false,
      problem: { reasons: ['extract:verify for payments is 5 min old (at most 1)'] },
    });
  });

  it('lets a forced move pass, and never stands in the way of a move back toward legacy', async () => {
    const gate = createParityGate({
      table: routeTable,
      parity: parityOf({}),
      verify: recordedVerify(db),
    });
    const id = 'users.write.login';
    expect(await gate(move(id, { mode: 'extracted', percentage: 0 }, true))).toEqual({
      allowed: true,
    });
    expect(await gate(move(id, { mode: 'monolith', percentage: 0 }))).toEqual({ allowed: true });
    const back = {
      ...move(id, { mode: 'canary', percentage: 50 }),
      from: { mode: 'extracted' as const, percentage: 0 },
    };
    expect(await gate(back)).toEqual({ allowed: true });
    expect(await gate(move(id, { mode: 'canary', percentage: 1 }))).toMatchObject({
      allowed: false,
    });
  });

  it('runs verify on demand, records each run, and answers a run younger than its cache again', async () => {
    let runs = 0;
    let now = 0;
    const live = liveVerify({
      db,
      cacheMs: 5_000,
      now: () => now,
      run: async (capability) => {
        runs += 1;
        return report(capability, { legacyRows: runs });
      },
    });
    const first = await live.latest('orders');
    expect(await live.latest('orders')).toEqual(first);
    now = 6_000;
    const second = await live.latest('orders');
    expect(runs).toBe(2);
    expect(second).toMatchObject({ legacyRows: 2 });
    expect(await recordedVerify(db).latest('orders')).toEqual(second);
  });
});

describe('extract:verify', () => {
  it("records its report in the facade's database, where the gate reads it", async () => {
    const legacy = await openMigratedTestDatabase('parity_gate_legacy');
    const service = await openMigratedTestDatabase(
      'parity_gate_service',
      PAYMENTS_SERVICE_MIGRATIONS,
    );
    try {
      const verified = await verifyCapability({
        extraction: capabilities.payments?.extraction ?? expect.fail('no payments capability'),
        legacyDb: legacy.handle.db,
        serviceDb: service.handle.db,
      });
      const recorded = await recordVerifyInFacade(facadeDb.url, verified);
      expect(recorded).toMatchObject({ capability: 'payments', equal: true, legacyRows: 0 });
      expect(await recordedVerify(db).latest('payments')).toEqual(recorded);
    } finally {
      await legacy.cleanup();
      await service.cleanup();
    }
  });
});

describe('the gate behind the toggle admin API', () => {
  let h: ModuleHarness;
  let store: ToggleStore;
  beforeAll(async () => {
    h = await openModuleHarness('parity_gate_admin');
    store = createToggleStore({ db, prefix: 'unused', replicaId: 'gate-test', pollMs: 1_000 });
    await store.start();
    h.app.route(
      '/_facade/api',
      toggleAdminRoutes({
        store,
        gate: createParityGate({
          table: routeTable,
          parity: parityOf({ 'users.write.me': { matchRate: 0.5, samples: 10 } }),
          verify: recordedVerify(db),
        }),
      }),
    );
  });
  afterAll(async () => {
    await store.stop();
    await h.cleanup();
  });

  it('answers a refusal as 409 problem+json with the numbers, and journals a forced move as forced', async () => {
    const admin = await h.tokenFor(['admin']);
    const refused = await h.send('PUT', '/_facade/api/routes/users.write.me', {
      token: admin,
      body: { mode: 'extracted', reason: 'try it' },
    });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const body = await refused.json();
    expect(gateFiguresSchema.parse(body)).toMatchObject({ samples: 10 });
    expect(body).toMatchObject({
      status: 409,
      matchRate: 0.5,
      samples: 10,
      threshold: 0.99,
      minSamples: 100,
      verify: { equal: true },
      reasons: ['10 shadow samples, 100 needed', 'match rate 50.00% below 99.00%'],
    });
    expect(store.toggle('users.write.me').mode).toBe('monolith');

    const forced = await h.send('PUT', '/_facade/api/routes/users.write.me', {
      token: admin,
      body: { mode: 'extracted', reason: 'the team checked by hand', force: true },
    });
    expect(forced.status).toBe(200);
    const [entry] = await store.journal('users.write.me', 1);
    expect(entry).toMatchObject({ to: { mode: 'extracted' }, forced: true });
  });
});
