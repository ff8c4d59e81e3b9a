import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { TEST_POSTGRES_URL } from '../support/services.ts';
import {
  berlin,
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { type Order, shop } from './shop.ts';

// The monolith on PostgreSQL (reached through a fault proxy) and Redis, with checkouts
// streaming in while PostgreSQL is cut for two seconds, then blips: every connection reset
// every 150 ms for two seconds more, so statements in flight fail while new ones get through
// (the blip that once refunded paid orders: a step's call failed, its failure was recorded).
// An outage of our own database is not
// a business answer: afterwards every order is confirmed, or refused for a real reason (a
// declined card), none is cancelled as "unavailable", nothing is refunded, and exactly the
// confirmed orders are charged.

const STREAM_MS = 7_000;
const CUT_AT_MS = 1_500;
const CUT_FOR_MS = 2_000;
const BLIPS = 13;
const BLIP_EVERY_MS = 150;
const WORKERS = 6;
/** How long one order may take to get its final answer, retries included. */
const ORDER_DEADLINE_MS = 60_000;

let environment: Environment;
let proxy: FaultProxy;
let running: Running;
/** A direct connection, past the proxy, to read the outcome. */
let db: postgres.Sql;

beforeAll(async () => {
  environment = await prepareEnvironment('postgres+redis', 'db_outage');
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const url = environment.env.DATABASE_URL ?? '';
  running = await runMonolith(environment, {
    DATABASE_URL: proxy.via(url),
    SAGA_LEASE_MS: '2000',
    SAGA_RECOVERY_INTERVAL_MS: '250',
  });
  db = postgres(url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await proxy?.restore();
  await running?.monolith.stop();
  await db?.end();
  await proxy?.close();
  await environment?.cleanup();
});

interface Answer {
  status: number;
  order?: Order;
}

/** POST /api/orders once, bounded: a server that hangs is a failure, not a wait. */
async function placeOnce(token: string, productId: string, key: string): Promise<Answer> {
  try {
    const response = await fetch(`${running.monolith.url}/api/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({
        items: [{ productId, quantity: 1 }],
        shippingAddress: berlin,
      }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = await response.json();
    return response.status === 201
      ? { status: 201, order: body as Order }
      : { status: response.status };
  } catch {
    // The connection failed or the answer never came: retry like any client would.
    return { status: 0 };
  }
}

/** One order to its final answer: a 201, retried with the same Idempotency-Key until then. */
async function placeUntilAnswered(token: string, productId: string) {
  const key = randomUUID();
  const answers: number[] = [];
  const startedAt = Date.now();
  const deadline = startedAt + ORDER_DEADLINE_MS;
  const done = (order?: Order) => ({ key, order, answers, startedAt, endedAt: Date.now() });
  for (;;) {
    const answer = await placeOnce(token, productId, key);
    answers.push(answer.status);
    if (answer.order) return done(answer.order);
    // A 4xx other than "still being placed" (409) would be a refusal of a valid request.
    if (answer.status >= 400 && answer.status < 500 && answer.status !== 409) return done();
    if (Date.now() > deadline) return done();
    await sleep(200);
  }
}

describe('a PostgreSQL outage mid-stream (monolith on PostgreSQL + Redis)', () => {
  it('cancels and refunds nothing for it: every order is confirmed or really refused', async () => {
    const steps = shop(running.api);
    const admin = await steps.adminToken();
    const customers = await Promise.all(Array.from({ length: 3 }, () => steps.newCustomer()));
    const plenty = await steps.newProduct(admin, 2_000, 10_000);
    // The sandbox declines amounts ending in 13: a real refusal amid the stream.
    const declined = await steps.newProduct(admin, 1_013, 10_000);

    const started = Date.now();
    const outage = (async () => {
      await sleep(CUT_AT_MS);
      await proxy.cut();
      const cutAt = Date.now();
      await sleep(CUT_FOR_MS);
      await proxy.restore();
      const restoredAt = Date.now();
      for (let blip = 0; blip < BLIPS; blip++) {
        await sleep(BLIP_EVERY_MS);
        proxy.reset();
      }
      return { cutAt, restoredAt };
    })();
    const results = await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        const placed: Awaited<ReturnType<typeof placeUntilAnswered>>[] = [];
        for (let n = 0; Date.now() - started < STREAM_MS; n++) {
          const customer = customers[(worker + n) % customers.length];
          if (!customer) throw new Error('no customer');
          const product = (worker * 7 + n) % 5 === 0 ? declined : plenty;
          placed.push(await placeUntilAnswered(customer.token, product));
        }
        return placed;
      }),
    );
    const { cutAt, restoredAt } = await outage;
    const placed = results.flat();

    // The outage was met: checkouts were under way while PostgreSQL was cut.
    expect(
      placed.filter((result) => result.startedAt < restoredAt && result.endedAt > cutAt).length,
    ).toBeGreaterThan(0);
    expect(placed.filter((result) => !result.order)).toEqual([]);
    const answered = placed.flatMap((result) => (result.order ? [result.order] : []));
    const confirmed = answered.filter((order) => order.status === 'confirmed');
    const refused = answered.filter((order) => order.status !== 'confirmed');
    expect(confirmed.length).toBeGreaterThan(0);
    for (const order of refused) {
      expect(order).toMatchObject({
        status: 'cancelled',
        cancelReason: 'payment declined: insufficient funds',
        total: { amountMinor: 1_013 },
      });
    }

    // The rows agree: every order confirmed or declined, charges == confirmed orders, no refund.
    const orders = await db<{ id: string; status: string; cancel_reason: string | null }[]>`
      select id, status, cancel_reason from orders.orders`;
    expect(orders).toHaveLength(answered.length);
    const badlyCancelled = orders.filter(
      (order) =>
        order.status !== 'confirmed' &&
        order.cancel_reason !== 'payment declined: insufficient funds',
    );
    expect(badlyCancelled).toEqual([]);
    const payments = await db<{ order_id: string; status: string }[]>`
      select order_id, status from payments.payments`;
    const captured = payments.filter((payment) => payment.status === 'captured');
    expect(captured.map((payment) => payment.order_id).sort()).toEqual(
      orders
        .filter((order) => order.status === 'confirmed')
        .map((order) => order.id)
        .sort(),
    );
    expect(payments.filter((payment) => !['captured', 'failed'].includes(payment.status))).toEqual(
      [],
    );
    expect(await db`select id from payments.refunds`).toHaveLength(0);
    expect(
      await db`select order_id from orders.checkout_sagas where finished_at is null`,
    ).toHaveLength(0);
  }, 180_000);
});
