import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sideFor, stickyKeyOf } from '../../src/platform/routing/canary.ts';
import { type ApiClient, apiClient } from '../e2e/client.ts';
import { type Received, sendRequest } from '../e2e/send-request.ts';
import { shop } from '../e2e/shop.ts';
import { type FacadeSystem, startFacadeSystem } from '../support/facade-system.ts';
import { eventually } from '../support/services.ts';

// Each of the facade's modes on the payments reads, through the whole running system: a
// customer's payment made by a real checkout, read through the facade on port FACADE_PORT, and
// what the facade says it did (its overview's per-side figures, its /metrics).

const BY_ID = 'payments.read.by-id';
const LIST = 'payments.read.list';

interface SideFigures {
  requests: number;
  errors: number;
}
interface RouteFigures {
  id: string;
  mode: string;
  percentage: number;
  fallbacks: number;
  sides: { legacy: SideFigures; new: SideFigures | null };
  parity: { samples: number; matchRate: number | null; mismatches: number } | null;
}

let running: FacadeSystem;
/** The legacy API through the facade. */
let api: ApiClient;
/** The facade's own admin API. */
let admin: ApiClient;
let adminToken: string;
let customer: { id: string; token: string };
let paymentId: string;
/** The payment as the monolith answers it, before anything moved. */
let legacyPayment: Record<string, unknown>;

/** A client's request through the facade, its answer checked against the monolith's document. */
const request = (method: string, path: string, token?: string, headers?: Record<string, string>) =>
  sendRequest(
    running.url,
    {
      method,
      target: path,
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...headers },
      body: undefined,
    },
    running.component('monolith').url,
  );

async function overviewOf(routeId: string): Promise<RouteFigures> {
  const reply = await admin.get<{ routes: RouteFigures[] }>('/_facade/api/overview', adminToken);
  expect(reply.status).toBe(200);
  const route = reply.body.routes.find((r) => r.id === routeId);
  if (!route) throw new Error(`${routeId} is not in the overview`);
  return route;
}

async function move(
  routeId: string,
  change: { mode: string; percentage?: number; force?: boolean },
): Promise<void> {
  const reply = await admin.put(
    `/_facade/api/routes/${routeId}`,
    { reason: `test moves ${routeId} to ${change.mode}`, ...change },
    adminToken,
  );
  expect(reply.status).toBe(200);
}

/** facade_requests_total for one route and side, every status class summed. */
async function requestsCounted(routeId: string, side: 'legacy' | 'new'): Promise<number> {
  const text = await (await fetch(`${running.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('facade_requests_total{')) continue;
    if (!line.includes(`route="${routeId}"`) || !line.includes(`side="${side}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The side that answered one request, from the facade's own counters around it. */
async function servedBy(
  send: () => Promise<Received>,
  routeId: string,
): Promise<{ side: 'legacy' | 'new'; status: number; body: unknown }> {
  const [legacyBefore, newBefore] = await Promise.all([
    requestsCounted(routeId, 'legacy'),
    requestsCounted(routeId, 'new'),
  ]);
  const response = await send();
  const body: unknown = JSON.parse(response.text);
  const [legacyAfter, newAfter] = await Promise.all([
    requestsCounted(routeId, 'legacy'),
    requestsCounted(routeId, 'new'),
  ]);
  const moved = { legacy: legacyAfter - legacyBefore, new: newAfter - newBefore };
  expect(moved.legacy + moved.new).toBe(1);
  return { side: moved.new === 1 ? 'new' : 'legacy', status: response.status, body };
}

beforeAll(async () => {
  running = await startFacadeSystem('facade_modes', {
    env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_LOGIN_PER_MINUTE: '100000' },
  });
  api = apiClient(running.url, { docsUrl: running.component('monolith').url });
  admin = apiClient(running.url);
  const steps = shop(api);
  adminToken = await steps.adminToken();
  customer = await steps.newCustomer();
  const productId = await steps.newProduct(adminToken, 2_450, 100);
  const order = await steps.placeOrder(customer.token, [{ productId, quantity: 1 }]);
  expect(order.status).toBe(201);
  expect(order.body.status).toBe('confirmed');
  paymentId = order.body.paymentId ?? '';
  expect(paymentId).not.toBe('');

  // Until payments-service holds the payment (replicated by its events), its answers differ.
  const service = postgres(running.databases['payments-service'].url, { max: 1 });
  try {
    await eventually(async () => {
      const rows =
        await service`select status from payments.payments where order_ref = ${order.body.id}`;
      expect(rows.map((row) => row.status)).toEqual(['captured']);
    });
  } finally {
    await service.end();
  }
}, 120_000);

afterAll(async () => {
  await running?.stop();
}, 60_000);

describe('the facade serving payments reads in each mode', () => {
  it('monolith: legacy answers and the overview counts legacy requests only', async () => {
    const reply = await api.get(`/api/payments/${paymentId}`, customer.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: paymentId, userId: customer.id, status: 'captured' });
    legacyPayment = reply.body;

    const route = await overviewOf(BY_ID);
    expect(route.mode).toBe('monolith');
    expect(route.sides.legacy.requests).toBe(1);
    expect(route.sides.new?.requests).toBe(0);
  });

  it('shadow: legacy answers the client, the request is mirrored, and identical answers match', async () => {
    await move(BY_ID, { mode: 'shadow' });
    const reply = await api.get(`/api/payments/${paymentId}`, customer.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(legacyPayment);

    const route = await eventually(async () => {
      const now = await overviewOf(BY_ID);
      expect(now.parity?.samples).toBe(1);
      return now;
    });
    expect(route.parity?.matchRate).toBe(1);
    expect(route.parity?.mismatches).toBe(0);
    // The mirror's call is not the client's: the new side served no request.
    expect(route.sides.legacy.requests).toBe(2);
    expect(route.sides.new?.requests).toBe(0);
  });

  it('extracted: the new side answers with the identical legacy-shaped body', async () => {
    await move(BY_ID, { mode: 'extracted', force: true });
    const reply = await api.get(`/api/payments/${paymentId}`, customer.token, {
      'x-request-id': 'modes-extracted-1',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(legacyPayment);
    // The client's request id comes back, though the answer was built from the new side's.
    expect(reply.headers.get('x-request-id')).toBe('modes-extracted-1');

    const route = await overviewOf(BY_ID);
    expect(route.sides.new?.requests).toBe(1);
    expect(route.sides.legacy.requests).toBe(2);
    expect(route.fallbacks).toBe(0);
  });

  it('x-route-to: new is honoured for an admin and ignored for a customer', async () => {
    await move(BY_ID, { mode: 'monolith' });
    const path = `/api/payments/${paymentId}`;
    const admin = await servedBy(
      () => request('GET', path, adminToken, { 'x-route-to': 'new' }),
      BY_ID,
    );
    expect(admin).toEqual({ side: 'new', status: 200, body: legacyPayment });
    const mine = await servedBy(
      () => request('GET', path, customer.token, { 'x-route-to': 'new' }),
      BY_ID,
    );
    expect(mine).toEqual({ side: 'legacy', status: 200, body: legacyPayment });
  });

  it('canary at 50%: both sides serve, each user sticks to a side, and raising the share only moves users to new', async () => {
    const steps = shop(api);
    // A user sticks by id, whatever client they come from (these requests bring no cookie).
    const predicted = (userId: string, percentage: number) =>
      sideFor({
        routeId: LIST,
        percentage,
        stickyKey: stickyKeyOf({ userId, clientKey: 'a new client each time' }),
      });
    // Users until each side has a few by the hash, so the split never rests on chance.
    const users: Array<{ id: string; token: string }> = [];
    const onSide = (side: 'legacy' | 'new') =>
      users.filter((u) => predicted(u.id, 50) === side).length;
    while (onSide('legacy') < 4 || onSide('new') < 4) {
      expect(users.length).toBeLessThan(64);
      users.push(...(await Promise.all(Array.from({ length: 8 }, () => steps.newCustomer()))));
    }

    /** Each user's side at a percentage, each asked twice. */
    const sidesAt = async (percentage: number) => {
      await move(LIST, { mode: 'canary', percentage, force: true });
      const sides = new Map<string, 'legacy' | 'new'>();
      for (const user of users) {
        const first = await servedBy(() => request('GET', '/api/payments', user.token), LIST);
        const again = await servedBy(() => request('GET', '/api/payments', user.token), LIST);
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ items: [] });
        expect(again.side).toBe(first.side);
        sides.set(user.id, first.side);
      }
      return sides;
    };
    const expected = (percentage: number) =>
      new Map(users.map((user) => [user.id, predicted(user.id, percentage)]));
    const onNew = (sides: Map<string, 'legacy' | 'new'>) =>
      [...sides].filter(([, side]) => side === 'new').map(([userId]) => userId);

    // The split is the platform's hash bucket of the user, as the monolith's seams split too.
    const atHalf = await sidesAt(50);
    expect(atHalf).toEqual(expected(50));
    expect(new Set(atHalf.values())).toEqual(new Set(['legacy', 'new']));

    const atThreeQuarters = await sidesAt(75);
    expect(atThreeQuarters).toEqual(expected(75));
    expect(onNew(atThreeQuarters)).toEqual(expect.arrayContaining(onNew(atHalf)));

    const atFull = await sidesAt(100);
    expect(onNew(atFull)).toEqual(users.map((user) => user.id));
  }, 60_000);

  it('answers 405 with Allow for a method the route table does not know, and sends an unknown path to the monolith', async () => {
    const wrong = await request('DELETE', '/api/payments', customer.token);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);

    const unmatchedBefore = await requestsCounted('unmatched', 'legacy');
    const unknown = await request('GET', '/api/nothing-lives-here', customer.token);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(await requestsCounted('unmatched', 'legacy')).toBe(unmatchedBefore + 1);
  });

  it('exposes facade_requests_total with route and side labels on /metrics', async () => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toMatch(
      /^facade_requests_total\{[^}]*route="payments\.read\.by-id"[^}]*side="legacy"[^}]*\} [1-9]/m,
    );
    expect(text).toMatch(
      /^facade_requests_total\{[^}]*route="payments\.read\.by-id"[^}]*side="new"[^}]*\} [1-9]/m,
    );
  });

  it('gate: refuses extracted with the numbers while samples are short, and journals a forced move as forced', async () => {
    const refused = await admin.put<Record<string, unknown>>(
      `/_facade/api/routes/${BY_ID}`,
      { mode: 'extracted', reason: 'too early' },
      adminToken,
    );
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ samples: 1, minSamples: 100, threshold: 0.99 });
    expect(refused.body.reasons).toContain('1 shadow samples, 100 needed');
    expect((await overviewOf(BY_ID)).mode).toBe('monolith');

    const forced = await admin.put(
      `/_facade/api/routes/${BY_ID}`,
      { mode: 'extracted', reason: 'on the admin word', force: true },
      adminToken,
    );
    expect(forced.status).toBe(200);
    const journal = await admin.get<{ items: Array<Record<string, unknown>> }>(
      `/_facade/api/journal?route=${BY_ID}&limit=1`,
      adminToken,
    );
    expect(journal.body.items[0]).toMatchObject({
      routeId: BY_ID,
      from: { mode: 'monolith' },
      to: { mode: 'extracted' },
      reason: 'on the admin word',
      forced: true,
    });
  });

  // Last: payments-service stops for good.
  it('fallback: with payments-service down, extracted answers from legacy and counts a fallback; retired answers 503', async () => {
    expect(await overviewOf(BY_ID)).toMatchObject({ mode: 'extracted', fallbacks: 0 });
    await running.component('payments-service').stop();

    const reply = await api.get(`/api/payments/${paymentId}`, customer.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(legacyPayment);
    expect((await overviewOf(BY_ID)).fallbacks).toBe(1);

    await move(BY_ID, { mode: 'retired', force: true });
    const down = await request('GET', `/api/payments/${paymentId}`, customer.token);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
