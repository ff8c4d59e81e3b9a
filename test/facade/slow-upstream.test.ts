import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FacadeClient,
  facadeClient,
  type PaymentsBehindProxy,
  shopper,
  startWithPaymentsBehindProxy,
} from './fault-system.ts';

// payments-service answering slowly (every chunk held by the fault proxy for longer than the
// route's 5 s in all) with two payments reads on the new side at once: the retired one is
// answered 504 problem+json by its deadline, the extracted one by legacy after its new side
// timed out (a fallback), and a route that does not touch payments-service keeps serving.

const DELAY_MS = 3_000;
let running: PaymentsBehindProxy;
let client: FacadeClient;
let admin: string;

beforeAll(async () => {
  running = await startWithPaymentsBehindProxy('fault_slow');
  client = facadeClient(running.facade.url);
  admin = await client.login('admin', 'admin-password');
});
afterAll(async () => {
  running?.proxy.delay(0);
  await running?.stop();
});

describe('a slow payments-service behind the facade', () => {
  it('answers 504 on a retired route and legacy on an extracted one by the deadline, while other routes keep serving', async () => {
    const buyer = await shopper(client, admin);
    const order = await buyer.place();
    expect([order.status, order.body.status]).toEqual([201, 'confirmed']);
    await client.move(admin, 'payments.read.by-id', 'retired');
    await client.move(admin, 'payments.read.list', 'extracted');

    running.proxy.delay(DELAY_MS);
    const retired = client.get<{ status: number }>(
      `/api/payments/${order.body.paymentId}`,
      buyer.token,
    );
    const extracted = client.get<{ items: Array<{ id: string }> }>('/api/payments', buyer.token);
    let waiting = true;
    const both = Promise.all([retired, extracted]).finally(() => {
      waiting = false;
    });
    const products: number[] = [];
    // Paced, as a shopper browses: a tight loop would meet the edge's rate limit.
    while (waiting) {
      products.push((await client.get('/api/products')).status);
      await sleep(200);
    }
    const [slow, fellBack] = await both;

    expect([slow.status, slow.contentType, slow.body.status]).toEqual([
      504,
      'application/problem+json',
      504,
    ]);
    expect(fellBack.status).toBe(200);
    expect(fellBack.body.items.map((payment) => payment.id)).toEqual([order.body.paymentId]);
    expect(products.length).toBeGreaterThan(0);
    expect(products.filter((status) => status !== 200)).toEqual([]);
    const overview = await client.get<{
      routes: Array<{ id: string; fallbacks: number; sides: { new: { errors: number } | null } }>;
    }>('/_facade/api/overview', admin);
    const route = (id: string) => overview.body.routes.find((r) => r.id === id);
    expect([
      route('payments.read.list')?.fallbacks,
      route('payments.read.by-id')?.fallbacks,
    ]).toEqual([1, 0]);
  });
});
