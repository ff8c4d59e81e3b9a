import type { z } from '@hono/zod-openapi';
import { pino } from 'pino';
import { mountAdminConsole } from '../../facade/admin/admin-console.ts';
import type { diffSampleSchema, ParityFigures } from '../../facade/admin/overview-schema.ts';
import { FACADE_MIGRATIONS } from '../../facade/database.ts';
import { createParityGate } from '../../facade/gate/parity-gate.ts';
import { routeTable } from '../../facade/routes/route-table.ts';
import { createToggleStore, type ToggleStore } from '../../facade/toggles/store.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import type { RunningServer } from '../../src/platform/http/serve.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from './access-tokens.ts';
import { serveApp } from './serve-app.ts';
import { openMigratedTestDatabase } from './services.ts';

// The admin page over the REAL admin API (mountAdminConsole: the toggle admin API over a toggle
// store on a migrated facade database, and the overview), without the facade's proxy. What the
// proxy would measure is the TEST'S: every figure below (parity, each side's window, noise,
// diffs, extract:verify) is set by the test through `setFigures`; the overview, the journal and
// the facade's own parity gate read those numbers.

/** A route's figures as the test sets them; unset routes have no traffic and no shadow yet. */
export interface TestRouteFigures {
  parity?: {
    samples: number;
    matchRate: number | null;
    noise?: string[];
    diffs?: z.infer<typeof diffSampleSchema>[];
  };
  legacy?: { requests: number; errors: number; p95Ms: number | null; p99Ms: number | null };
  new?: { requests: number; errors: number; p95Ms: number | null; p99Ms: number | null };
  fallbacks?: number;
}

export interface AdminPageHarness {
  /** Where the page is: `${url}/_facade`. */
  url: string;
  /** The admin the harness's `/api/auth/login` signs in. */
  credentials: { login: string; password: string };
  adminId: string;
  store: ToggleStore;
  /** Sets (replaces) one route's figures: the overview shows them and the gate decides by them. */
  setFigures(routeId: string, figures: TestRouteFigures): void;
  /** A replica that applies the version of now and then stops: it lags every later change. */
  addStoppedReplica(replicaId: string): Promise<void>;
  /** What the gate is told of extract:verify for every capability (default: equal, just now). */
  setVerifyEqual(equal: boolean): void;
  close(): Promise<void>;
}

const ADMIN = { login: 'admin', password: 'admin-page-harness-password' };
const ADMIN_ID = '00000000-0000-4000-8000-0000000ad001';

const windowOf = (side: TestRouteFigures['legacy']) => {
  const requests = side?.requests ?? 0;
  const errors = side?.errors ?? 0;
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    p95Ms: side?.p95Ms ?? null,
    p99Ms: side?.p99Ms ?? null,
  };
};

const parityOf = (set: TestRouteFigures['parity']): ParityFigures => ({
  samples: set?.samples ?? 0,
  matchRate: set?.matchRate ?? null,
  mismatches: set ? Math.round(set.samples * (1 - (set.matchRate ?? 1))) : 0,
  mirrorErrors: 0,
  drops: {},
  noise: set?.noise ?? [],
  diffs: set?.diffs ?? [],
});

export async function startAdminPageHarness(label: string): Promise<AdminPageHarness> {
  const database = await openMigratedTestDatabase(label, FACADE_MIGRATIONS);
  const storeOf = (replicaId: string) =>
    createToggleStore({ db: database.handle.db, prefix: 'unused', replicaId, pollMs: 1_000 });
  const store = storeOf('facade-admin-page-test');
  await store.start();
  const tokens = testAccessTokens();
  const figures = new Map<string, TestRouteFigures>();
  let verifyEqual = true;

  // The facade's own parity gate, over the test's numbers: parity from `setFigures`, and an
  // extract:verify report (equal or not, just now) from `setVerifyEqual`.
  const parity = { figures: async (routeId: string) => parityOf(figures.get(routeId)?.parity) };
  const gate = createParityGate({
    table: routeTable,
    parity,
    verify: {
      latest: async (capability) => ({
        capability,
        equal: verifyEqual,
        legacyRows: 1,
        serviceRows: 1,
        mismatches: verifyEqual ? 0 : 1,
        missingInService: 0,
        missingInLegacy: 0,
        conflicts: 0,
        checkedAt: new Date().toISOString(),
      }),
    },
  });

  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    bodyLimitBytes: 100_000,
    authenticate: tokens.authenticate,
  });
  // Stands in for the users side behind the facade: the legacy login answer, a real admin token.
  app.post('/api/auth/login', async (c) => {
    const body = await c.req.json().catch(() => ({}));
    if (body?.login !== ADMIN.login || body?.password !== ADMIN.password) {
      throw new ProblemError(401, 'Wrong login or password.');
    }
    const issued = await tokens.issuer.issue({ id: ADMIN_ID, roles: ['admin'] });
    return c.json({
      accessToken: issued.token,
      tokenType: 'Bearer',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      user: { id: ADMIN_ID, username: ADMIN.login, roles: ['admin'] },
    });
  });
  mountAdminConsole(app, {
    table: routeTable,
    store,
    replicaId: 'facade-admin-page-test',
    stats: {
      window: (routeId, side) => windowOf(figures.get(routeId)?.[side]),
      fallbacks: (routeId) => figures.get(routeId)?.fallbacks ?? 0,
    },
    parity,
    // Every circuit closed: no upstream is called.
    upstreams: {},
    gate,
  });
  let server: RunningServer;
  try {
    server = await serveApp(app);
  } catch (error) {
    await store.stop();
    await database.cleanup();
    throw error;
  }
  return {
    url: server.url,
    credentials: ADMIN,
    adminId: ADMIN_ID,
    store,
    setFigures(routeId, set) {
      figures.set(routeId, set);
    },
    async addStoppedReplica(replicaId) {
      const other = storeOf(replicaId);
      await other.start();
      await other.stop();
    },
    setVerifyEqual(equal) {
      verifyEqual = equal;
    },
    async close() {
      await server.close();
      await store.stop();
      await database.cleanup();
    },
  };
}
