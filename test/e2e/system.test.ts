import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentRecords } from '../../extracted/payments-service/schema.ts';
import { capabilities } from '../../facade/extraction/capabilities.ts';
import { verifyCapability } from '../../facade/extraction/verify.ts';
import { serviceCallHeaders } from '../../src/platform/auth/service-caller.ts';
import { loadServiceSigningKey } from '../../src/platform/auth/service-keys.ts';
import { serviceTokenSource } from '../../src/platform/auth/service-tokens.ts';
import type { RunningComponent } from '../../src/platform/component/start-component.ts';
import { type RunningSystem, startSystem } from '../../src/system.ts';
import { paymentRecords as legacyPayments } from '../modules/payments/legacy-tables.ts';
import { eventually } from '../support/services.ts';
import { type ApiClient, apiClient } from './client.ts';
import { type Order, shop } from './shop.ts';

// The whole system as `npm start` runs it on a fresh clone: users-service, payments-service and
// the monolith in one process, each on its own embedded database, events crossing components
// through the in-process broker. A client speaks only the legacy API.

let dataDir: string;
let system: RunningSystem;
let api: ApiClient;
const component = (name: string): RunningComponent => {
  const found = system.components.find((c) => c.name === name);
  if (!found) throw new Error(`${name} is not running`);
  return found;
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'system-'));
  system = await startSystem(
    {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      MONOLITH_PORT: '0',
      USERS_SERVICE_PORT: '0',
      PAYMENTS_SERVICE_PORT: '0',
      FACADE_PORT: '0',
      EVENT_RETRY_BASE_MS: '50',
    },
    pino({ level: 'silent' }),
  );
  api = apiClient(component('monolith').url);
}, 120_000);
afterAll(async () => {
  await system?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Moves the facade's toggle of payments.write.capture (forced: these orders are the test's own,
 * with no shadow parity behind them), then waits until the monolith's seam follows it.
 */
const switchSeam = async (admin: string, adapter: 'http' | 'in-process') => {
  const facade = apiClient(component('facade').url);
  const mode = adapter === 'http' ? 'extracted' : 'monolith';
  const changed = await facade.put<{ mode: string }>(
    '/_facade/api/routes/payments.write.capture',
    { mode, reason: `e2e: ${adapter}`, force: true },
    admin,
  );
  expect([changed.status, changed.body.mode]).toEqual([200, mode]);
  await eventually(async () => {
    const seams = await api.get<{ items: Array<{ adapter: string }> }>('/admin/seams', admin);
    expect(seams.body.items[0]?.adapter).toBe(adapter);
  });
};

describe('the whole system in one process', () => {
  it('serves the four components, each on its own embedded database, in start order, the facade as the entry point', () => {
    expect(system.components.map((c) => [c.name, c.database.kind])).toEqual([
      ['users-service', 'pglite'],
      ['payments-service', 'pglite'],
      ['monolith', 'pglite'],
      ['facade', 'pglite'],
    ]);
    expect(system.banner[0]).toMatch(
      /^ {2}facade {12}http:\/\/127\.0\.0\.1:\d+ {2}\(the entry point/,
    );
    expect(system.banner.join('\n')).toMatch(/payments-service {2}http:\/\/127\.0\.0\.1:\d+/);
  });

  it("captures a legacy client's checkout in payments-service, then in the legacy module after a switch, and back", async () => {
    const s = shop(api);
    const admin = await s.adminToken();
    const customer = await s.newCustomer();
    const product = await s.newProduct(admin, 1_500, 10);
    const payments = component('payments-service').database.db;
    const place = async () => {
      const placed = await s.placeOrder(customer.token, [{ productId: product, quantity: 1 }]);
      expect(placed.status).toBe(201);
      return placed.body as Order;
    };

    await switchSeam(admin, 'http');
    const viaService = await place();
    expect(viaService.status).toBe('confirmed');
    const [row] = await payments
      .select()
      .from(paymentRecords)
      .where(eq(paymentRecords.orderRef, viaService.id));
    expect(row).toMatchObject({ id: viaService.paymentId, status: 'captured', amountMinor: 1_500 });
    // And through its own API, as the monolith (a trusted caller) sees it.
    const tokens = serviceTokenSource({
      component: 'monolith',
      key: loadServiceSigningKey('monolith', { DATA_DIR: dataDir, SERVICE_SIGNING_KEY: undefined }),
    });
    const listed = await fetch(
      `${component('payments-service').url}/v1/payments?order_ref=${viaService.id}`,
      { headers: await serviceCallHeaders(tokens, 'payments-service') },
    );
    expect(((await listed.json()) as { data: Array<{ id: string; status: string }> }).data).toEqual(
      [expect.objectContaining({ id: viaService.paymentId, status: 'captured' })],
    );

    await switchSeam(admin, 'in-process');
    const viaLegacy = await place();
    expect(viaLegacy.status).toBe('confirmed');
    const legacyPayment = await api.get<{ status: string }>(
      `/api/payments/${viaLegacy.paymentId}`,
      customer.token,
    );
    expect(legacyPayment.body.status).toBe('captured');

    await switchSeam(admin, 'http');
    expect((await place()).status).toBe('confirmed');

    // Both stores in step, both ways: each side's payments reached the other, with their ids.
    await eventually(async () => {
      const replicated = await payments
        .select({ id: paymentRecords.id, status: paymentRecords.status })
        .from(paymentRecords)
        .where(eq(paymentRecords.orderRef, viaLegacy.id));
      expect(replicated).toEqual([{ id: viaLegacy.paymentId, status: 'captured' }]);
      const back = await api.get<{ id: string }>(`/api/payments/${viaService.paymentId}`, admin);
      expect([back.status, back.body.id]).toEqual([200, viaService.paymentId]);
    });
  });

  it('switches the seam 16 times during a stream of checkouts (each switch followed by the seam within a second): every order paid once, on one side, copied to the other', async () => {
    const s = shop(api);
    const admin = await s.adminToken();
    const customer = await s.newCustomer();
    const product = await s.newProduct(admin, 1_700, 1_000);
    let flips = 0;
    const flipping = (async () => {
      for (; flips < 16; flips++) {
        await switchSeam(admin, flips % 2 === 0 ? 'http' : 'in-process');
      }
    })();
    const orders: Order[] = [];
    while (flips < 16) {
      const batch = await Promise.all(
        Array.from({ length: 4 }, () =>
          s.placeOrder(customer.token, [{ productId: product, quantity: 1 }]),
        ),
      );
      orders.push(...batch.map((placed) => placed.body as Order));
    }
    await flipping;

    expect(orders.length).toBeGreaterThan(8);
    expect(orders.filter((order) => order.status !== 'confirmed')).toEqual([]);
    const legacyDb = component('monolith').database.db;
    const serviceDb = component('payments-service').database.db;
    const ids = orders.map((order) => order.id);
    await eventually(async () => {
      const inLegacy = (
        await legacyDb
          .select({
            order: legacyPayments.orderId,
            id: legacyPayments.id,
            status: legacyPayments.status,
          })
          .from(legacyPayments)
          .where(inArray(legacyPayments.orderId, ids))
      ).map((row) => `${row.order} ${row.id} ${row.status}`);
      const inService = (
        await serviceDb
          .select({
            order: paymentRecords.orderRef,
            id: paymentRecords.id,
            status: paymentRecords.status,
          })
          .from(paymentRecords)
          .where(inArray(paymentRecords.orderRef, ids))
      ).map((row) => `${row.order} ${row.id} ${row.status}`);
      // One payment per order, captured, the order's own, the same in both stores.
      const expected = orders.map((order) => `${order.id} ${order.paymentId} captured`).sort();
      expect([inLegacy.sort(), inService.sort()]).toEqual([expected, expected]);
    });
  }, 90_000);

  it('ends with both payments stores and both users stores equal, row by row (extract:verify)', async () => {
    const legacyDb = component('monolith').database.db;
    for (const [capability, service] of [
      ['payments', 'payments-service'],
      ['users', 'users-service'],
    ] as const) {
      const known = capabilities[capability];
      if (!known) throw new Error(`extract:verify does not know ${capability}`);
      await eventually(async () => {
        const report = await verifyCapability({
          extraction: known.extraction,
          legacyDb,
          serviceDb: component(service).database.db,
        });
        expect([capability, report.equal, report.mismatchExamples]).toEqual([capability, true, []]);
        expect(report.legacyRows).toBeGreaterThan(0);
      });
    }
  });

  it('greets the demo customer once, though both users sides seed the account', async () => {
    const token = await api.login('customer', 'customer-password');
    await eventually(async () => {
      const notifications = await api.get<{ items: Array<{ kind: string }> }>(
        '/api/notifications',
        token,
      );
      expect(notifications.body.items.filter((n) => n.kind === 'welcome')).toHaveLength(1);
    });
    // Settled: nothing more arrives from the other side.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await api.get<{ items: Array<{ kind: string }> }>('/api/notifications', token);
    expect(again.body.items.filter((n) => n.kind === 'welcome')).toHaveLength(1);
  });

  it('accepts at the monolith an access token users-service issued', async () => {
    const tokens = serviceTokenSource({
      component: 'monolith',
      key: loadServiceSigningKey('monolith', { DATA_DIR: dataDir, SERVICE_SIGNING_KEY: undefined }),
    });
    const session = await fetch(`${component('users-service').url}/v1/sessions`, {
      method: 'POST',
      headers: {
        ...(await serviceCallHeaders(tokens, 'users-service')),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ login: 'customer', password: 'customer-password' }),
    });
    expect(session.status).toBe(201);
    const { access_token: token } = (await session.json()) as { access_token: string };
    expect((await api.get('/api/orders', token)).status).toBe(200);
    expect((await api.get('/api/orders', `${token}x`)).status).toBe(401);
  });

  it("delivers payments-service's payment.failed to the monolith's notifications", async () => {
    const s = shop(api);
    const admin = await s.adminToken();
    const customer = await s.newCustomer();
    const product = await s.newProduct(admin, 1_600, 10);
    await switchSeam(admin, 'http');
    const placed = await s.placeOrder(customer.token, [{ productId: product, quantity: 1 }], {
      cardToken: 'tok_decline',
      key: randomUUID(),
    });
    expect((placed.body as Order).status).toBe('cancelled');
    await eventually(async () => {
      const notifications = await api.get<{ items: Array<{ kind: string }> }>(
        '/api/notifications',
        customer.token,
      );
      expect(notifications.body.items.map((n) => n.kind)).toContain('payment_failed');
    });
  });
});
