import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../test/support/module-harness.ts';
import { openMigratedTestDatabase } from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { type ProposedChange, toggleAdminRoutes } from './admin-routes.ts';
import { createToggleStore, type ToggleStore } from './store.ts';

let h: ModuleHarness;
let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let store: ToggleStore;
const asked: ProposedChange[] = [];
const figures = { parity: { matchRate: 0.9, samples: 40 } };

beforeAll(async () => {
  h = await openModuleHarness('toggle_admin');
  facadeDb = await openMigratedTestDatabase('toggle_admin', FACADE_MIGRATIONS);
  store = createToggleStore({
    db: facadeDb.handle.db,
    prefix: 'unused',
    replicaId: 'admin-test',
    pollMs: 1_000,
  });
  await store.start();
  h.app.route(
    '/_facade/api',
    toggleAdminRoutes({
      store,
      figures: async () => figures,
      knownRoute: (id) => id !== 'nothing.read.here',
      // Stands in for the parity gate: refuses `extracted` unless forced.
      async gate(change) {
        asked.push(change);
        if (change.to.mode !== 'extracted' || change.forced) return { allowed: true };
        return {
          allowed: false,
          problem: {
            type: 'https://commerce.example/errors/parity-too-low',
            title: 'Conflict',
            status: 409,
            detail: 'Parity 90% is below 99%.',
            matchRate: 0.9,
          },
        };
      },
    }),
  );
});
afterAll(async () => {
  await store.stop();
  await facadeDb.cleanup();
  await h.cleanup();
});

const put = async (token: string, id: string, body: unknown) =>
  h.send('PUT', `/_facade/api/routes/${id}`, { token, body });

describe('the toggle admin API', () => {
  it('is for admins only', async () => {
    const customer = await h.tokenFor(['customer']);
    for (const [method, path] of [
      ['GET', '/_facade/api/routes'],
      ['PUT', '/_facade/api/routes/payments.read.by-id'],
      ['POST', '/_facade/api/routes/payments.read.by-id/rollback'],
      ['GET', '/_facade/api/journal'],
      ['GET', '/_facade/api/replicas'],
    ] as const) {
      const body = method === 'GET' ? undefined : { mode: 'shadow', reason: 'try' };
      expect((await h.send(method, path, { body })).status).toBe(401);
      expect((await h.send(method, path, { token: customer, body })).status).toBe(403);
    }
    expect(store.current().version).toBe(0);
  });

  it('changes a route, lists it with the version, and journals who, from, to, why and the figures', async () => {
    const admin = await h.tokenFor(['admin'], '00000000-0000-4000-8000-00000000a001');
    const changed = await put(admin, 'payments.read.by-id', {
      mode: 'canary',
      percentage: 5,
      reason: 'first users',
    });
    expect(changed.status).toBe(200);
    const toggle = await changed.json();
    expect(toggle).toMatchObject({
      routeId: 'payments.read.by-id',
      mode: 'canary',
      percentage: 5,
      version: 1,
      changedBy: '00000000-0000-4000-8000-00000000a001',
      reason: 'first users',
    });
    const list = await h.send('GET', '/_facade/api/routes', { token: admin });
    expect(await list.json()).toEqual({ version: 1, items: [toggle] });
    const journal = await h.send('GET', '/_facade/api/journal?route=payments.read.by-id', {
      token: admin,
    });
    expect(await journal.json()).toMatchObject({
      items: [
        {
          version: 1,
          kind: 'change',
          changedBy: '00000000-0000-4000-8000-00000000a001',
          from: { mode: 'monolith', percentage: 0 },
          to: { mode: 'canary', percentage: 5 },
          reason: 'first users',
          forced: false,
          figures,
        },
      ],
    });
    const replicas = await h.send('GET', '/_facade/api/replicas', { token: admin });
    expect(await replicas.json()).toMatchObject({
      version: 1,
      items: [{ replicaId: 'admin-test', appliedVersion: 1, lag: 0 }],
    });
  });

  it('rolls back in one call, journaled', async () => {
    const admin = await h.tokenFor(['admin']);
    expect((await put(admin, 'users.read.profile', { mode: 'shadow', reason: 'a' })).status).toBe(
      200,
    );
    const rolled = await h.send('POST', '/_facade/api/routes/users.read.profile/rollback', {
      token: admin,
      body: { reason: 'diffs in addresses' },
    });
    expect(rolled.status).toBe(200);
    expect(await rolled.json()).toMatchObject({ mode: 'monolith', reason: 'diffs in addresses' });
    const journal = await h.send('GET', '/_facade/api/journal?route=users.read.profile&limit=1', {
      token: admin,
    });
    expect(await journal.json()).toMatchObject({
      items: [{ kind: 'rollback', from: { mode: 'shadow' }, to: { mode: 'monolith' }, figures }],
    });
  });

  it('answers bad input with problem+json and changes nothing', async () => {
    const admin = await h.tokenFor(['admin']);
    const before = await (await h.send('GET', '/_facade/api/routes', { token: admin })).json();
    const journalBefore = await (
      await h.send('GET', '/_facade/api/journal?limit=500', { token: admin })
    ).json();
    const refusals: [string, unknown, number][] = [
      ['payments.read.by-id', { mode: 'sideways', reason: 'x' }, 400],
      ['payments.read.by-id', { mode: 'canary', percentage: 101, reason: 'x' }, 400],
      ['payments.read.by-id', { mode: 'canary', percentage: 2.5, reason: 'x' }, 400],
      ['payments.read.by-id', { mode: 'shadow' }, 400],
      ['payments.read.by-id', { mode: 'shadow', reason: '   ' }, 400],
      ['Not A Route', { mode: 'shadow', reason: 'x' }, 400],
      ['nothing.read.here', { mode: 'shadow', reason: 'x' }, 404],
    ];
    for (const [id, body, status] of refusals) {
      const response = await put(admin, id, body);
      expect({ id, body, status: response.status }).toEqual({ id, body, status });
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    const neverChanged = await h.send('POST', '/_facade/api/routes/orders.read.list/rollback', {
      token: admin,
      body: { reason: 'x' },
    });
    expect(neverChanged.status).toBe(409);
    expect(neverChanged.headers.get('content-type')).toBe('application/problem+json');
    const badQuery = await h.send('GET', '/_facade/api/journal?limit=0', { token: admin });
    expect(badQuery.status).toBe(400);
    expect(await (await h.send('GET', '/_facade/api/routes', { token: admin })).json()).toEqual(
      before,
    );
    expect(
      await (await h.send('GET', '/_facade/api/journal?limit=500', { token: admin })).json(),
    ).toEqual(journalBefore);
  });

  it('asks the gate first: its refusal is answered as it is and changes nothing; forced passes, journaled as forced', async () => {
    const admin = await h.tokenFor(['admin']);
    const version = store.current().version;
    const refused = await put(admin, 'payments.read.by-id', { mode: 'extracted', reason: 'go' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ status: 409, matchRate: 0.9 });
    expect(asked.at(-1)).toMatchObject({
      routeId: 'payments.read.by-id',
      from: { mode: 'canary', percentage: 5 },
      to: { mode: 'extracted', percentage: 5 },
      forced: false,
      figures,
    });
    expect(store.current().version).toBe(version);
    const forced = await put(admin, 'payments.read.by-id', {
      mode: 'extracted',
      reason: 'known diff in a timestamp',
      force: true,
    });
    expect(forced.status).toBe(200);
    const [entry] = await store.journal('payments.read.by-id', 1);
    expect(entry).toMatchObject({ to: { mode: 'extracted' }, forced: true, version: version + 1 });
  });
});
