import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/services.ts';
import { expectPaymentsConsistent } from './fault-stores.ts';
import {
  type FacadeClient,
  facadeClient,
  type Order,
  type PaymentsBehindProxy,
  shopper,
  startWithPaymentsBehindProxy,
} from './fault-system.ts';

// payments-service taken away (its port refused, open connections reset) in the middle of a
// stream of checkouts through the facade, with payments.write.capture and payments.read.by-id
// extracted, then given back: money and orders stay consistent, the facade's circuit opens,
// reads fall back to legacy, and both payments stores converge.

let running: PaymentsBehindProxy;
let client: FacadeClient;
let admin: string;

beforeAll(async () => {
  running = await startWithPaymentsBehindProxy('fault_pay_killed', {
    // Sagas cut short by the outage are picked up again soon after it ends.
    env: { SAGA_LEASE_MS: '2000', SAGA_RECOVERY_INTERVAL_MS: '250' },
  });
  client = facadeClient(running.facade.url);
  admin = await client.login('admin', 'admin-password');
});
afterAll(async () => {
  await running?.stop();
});

interface PaymentsRoute {
  id: string;
  fallbacks: number;
  circuit: { new: string | null };
}
const overviewOf = async (routeId: string) => {
  const overview = await client.get<{ routes: PaymentsRoute[] }>('/_facade/api/overview', admin);
  expect(overview.status).toBe(200);
  const route = overview.body.routes.find((r) => r.id === routeId);
  if (!route) throw new Error(`no route ${routeId} in the overview`);
  return route;
};

describe('payments-service killed during a stream of checkouts through the facade', () => {
  it('confirms no order without one captured payment, opens the circuit, falls back for reads, and converges once it returns', async () => {
    await client.move(admin, 'payments.write.capture', 'extracted');
    await client.seamFollows(admin, 'http');
    await client.move(admin, 'payments.read.by-id', 'extracted');
    const buyer = await shopper(client, admin);
    const first = await buyer.place();
    expect([first.status, first.body.status]).toEqual([201, 'confirmed']);
    const paymentPath = `/api/payments/${first.body.paymentId}`;

    // Four shoppers' worth of checkouts at once, each with its own Idempotency-Key.
    const placed: Array<{ key: string; status: number }> = [];
    let streaming = true;
    const stream = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (streaming) {
          const key: string = randomUUID();
          const reply = await buyer.place(key);
          placed.push({ key, status: reply.status });
        }
      }),
    );
    const readStatuses: number[] = [];
    await eventually(() => expect(placed.length).toBeGreaterThanOrEqual(4));

    await running.proxy.cut();
    const cutAt = Date.now();
    // Reads keep being answered (by legacy) while the new side is gone, and the circuit opens.
    await eventually(
      async () => {
        readStatuses.push((await client.get(paymentPath, buyer.token)).status);
        const route = await overviewOf('payments.read.by-id');
        expect(route.circuit.new).toBe('open');
        expect(route.fallbacks).toBeGreaterThan(0);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // Longer than the facade's 5 s on a checkout: the checkouts caught by the outage outlive it.
    await sleep(Math.max(0, 6_000 - (Date.now() - cutAt)));
    const duringCut = placed.length;
    await running.proxy.restore();
    await eventually(() => expect(placed.length).toBeGreaterThanOrEqual(duringCut + 8), {
      timeoutMs: 30_000,
    });
    streaming = false;
    await stream;

    // A checkout the outage held past its budget is a 504 (it may have been carried out), never
    // a refusal.
    expect(new Set(placed.map((p) => p.status))).toEqual(new Set([201, 504]));
    expect(readStatuses.length).toBeGreaterThan(0);
    expect(readStatuses.filter((status) => status !== 200)).toEqual([]);
    // Every checkout, asked again with its key once things settle, is confirmed or cancelled.
    const orders: Order[] = [];
    for (const { key } of placed) {
      orders.push(
        await eventually(
          async () => {
            const replay = await buyer.place(key);
            expect(replay.status).toBe(201);
            expect(['confirmed', 'cancelled']).toContain(replay.body.status);
            return replay.body;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        ),
      );
    }
    expect(orders.filter((order) => order.status === 'confirmed').length).toBeGreaterThan(4);
    await expectPaymentsConsistent(running.facade, orders);
  }, 120_000);
});
