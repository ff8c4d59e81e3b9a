import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentPage } from '../../src/contracts/payments/v1/index.ts';
import {
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from '../../test/extracted/payments-service/harness.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { paymentRecords } from './schema.ts';

// Cursor pagination over many rows: 230 payments, 30 of them sharing one created_at to the
// microsecond (the id then orders them), walked 7 at a time.

let harness: PaymentsServiceHarness;
const customer = randomUUID();
let expected: string[];
beforeAll(async () => {
  harness = await startPaymentsServiceOnPostgres('payments-service-list');
  const { db } = harness.service.database;
  const rows = Array.from({ length: 230 }, (_, i) => ({
    orderRef: randomUUID(),
    customerRef: i % 2 === 0 ? customer : randomUUID(),
    amountMinor: 100 + i,
    currency: 'EUR',
    status: 'captured' as const,
    sourceType: 'card',
    createdAt: sql`timestamptz '2026-01-01 00:00:00.123456+00' + ${i < 30 ? 0 : i} * interval '1 millisecond'`,
  }));
  await db.insert(paymentRecords).values(rows);
  const ordered = await db
    .select({ id: paymentRecords.id })
    .from(paymentRecords)
    .orderBy(sql`${paymentRecords.createdAt} desc, ${paymentRecords.id} desc`);
  expected = ordered.map((row) => row.id);
});
afterAll(async () => {
  await harness.stop();
});

async function walk(query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const response = await harness.send('GET', `/v1/payments?${query}${suffix}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as PaymentPage;
    ids.push(...page.data.map((payment) => payment.id));
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor);
  return { ids, pages };
}

describe('GET /v1/payments', () => {
  it('walks every payment once, newest first, with no gap and no duplicate', async () => {
    const { ids, pages } = await walk('limit=7');
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(230 / 7));
  });

  it('filters by customer_ref through every page, and counts them when asked', async () => {
    const { ids } = await walk(`limit=9&customer_ref=${customer}`);
    expect(ids).toHaveLength(115);
    const first = await harness.send(
      'GET',
      `/v1/payments?customer_ref=${customer}&include_total=true`,
    );
    expect(await first.json()).toMatchObject({ total_count: 115 });
  });

  it('finds the payment of an order_ref, and answers an empty last page for an unknown one', async () => {
    const [row] = await harness.service.database.db
      .select({ orderRef: paymentRecords.orderRef })
      .from(paymentRecords)
      .limit(1);
    const found = await harness.send('GET', `/v1/payments?order_ref=${row?.orderRef}`);
    expect(await found.json()).toMatchObject({
      data: [{ order_ref: row?.orderRef }],
      next_cursor: null,
    });
    const none = await harness.send('GET', `/v1/payments?order_ref=${randomUUID()}`);
    expect(await none.json()).toEqual({ data: [], next_cursor: null });
  });

  it.each([
    ['a cursor it never gave out', 'cursor=bm9wZQ'],
    ['a limit over 100', 'limit=101'],
    ['a limit of 0', 'limit=0'],
    ['an order_ref that is no uuid', 'order_ref=x'],
  ])('refuses %s: 400 validation-failed', async (_, query) => {
    const problem = await expectProblem(await harness.send('GET', `/v1/payments?${query}`), 400);
    expect(problem.type).toBe('https://commerce.example/errors/validation-failed');
  });
});
