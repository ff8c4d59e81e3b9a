import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/services.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { type Order, shop } from './shop.ts';

// A process that starts with an orphaned checkout to finish opens its port first: recovery
// runs while it serves, however slow the saga's steps are.
const LEASE = { SAGA_LEASE_MS: '300', SAGA_RECOVERY_INTERVAL_MS: '60000' };
const SLOW_PROVIDER_MS = 8_000;

let environment: Environment;
let db: postgres.Sql;
beforeAll(async () => {
  environment = await prepareEnvironment('postgres+redis', 'startup_recovery');
  db = postgres(environment.env.DATABASE_URL ?? '', { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await db?.end();
  await environment?.cleanup();
});

describe('start-up with an orphaned saga', () => {
  it('serves before the saga is finished, and finishes it shortly after', async () => {
    const crashing = await runMonolith(environment, {
      ...LEASE,
      SAGA_CRASH_AFTER: 'reserve_stock',
    });
    let customer: { id: string; token: string };
    try {
      const steps = shop(crashing.api);
      const admin = await steps.adminToken();
      customer = await steps.newCustomer();
      const product = await steps.newProduct(admin, 2_500, 5);
      const crashed = await steps.placeOrder(customer.token, [{ productId: product, quantity: 1 }]);
      expect(crashed.status).toBe(500);
    } finally {
      await crashing.monolith.stop();
    }
    const [orphan] = await db<{ id: string }[]>`
      select id from orders.orders where user_id = ${customer.id}`;
    if (!orphan) throw new Error('the crashed checkout left no order');
    await sleep(Number(LEASE.SAGA_LEASE_MS) + 100);

    let restarted: Running | undefined;
    try {
      const startedAt = performance.now();
      restarted = await runMonolith(environment, {
        ...LEASE,
        PAYMENT_SANDBOX_LATENCY_MS: String(SLOW_PROVIDER_MS),
      });
      const { api } = restarted;
      expect((await api.get('/health/live')).status).toBe(200);
      const meanwhile = await api.get<Order>(`/api/orders/${orphan.id}`, customer.token);
      expect(meanwhile.body.status).toBe('pending');
      // Still inside the slow capture: start-up did not wait for it.
      expect(performance.now() - startedAt).toBeLessThan(SLOW_PROVIDER_MS);

      const finished = await eventually(async () => {
        const reply = await api.get<Order>(`/api/orders/${orphan.id}`, customer.token);
        expect(reply.body.status).toBe('confirmed');
        return reply.body;
      });
      const [payment] = await db<{ status: string }[]>`
        select status from payments.payments where order_id = ${orphan.id}`;
      expect(payment?.status).toBe('captured');
      expect(finished.paymentId).not.toBeNull();
    } finally {
      await restarted?.monolith.stop();
    }
  });
});
