import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingProvider } from '../../../test/modules/payments/recording-provider.ts';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outbox } from '../../platform/bus/schema.ts';
import type { Database } from '../../platform/db/database.ts';
import { createPaymentsModule } from './index.ts';
import { paymentRecords, refunds } from './schema.ts';

let db: Database;
let context: ModuleHarness['context'];
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const harness = await openModuleHarness('payments-capture');
  ({ db, context, cleanup } = harness);
});
afterAll(async () => {
  await cleanup();
});

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const captureInput = (amountMinor = 2500, cardToken?: string) => ({
  orderId: randomUUID(),
  userId: randomUUID(),
  amount: eur(amountMinor),
  ...(cardToken !== undefined && { cardToken }),
});

const eventsFor = (orderId: string) =>
  db
    .select({ name: outbox.name, payload: outbox.payload })
    .from(outbox)
    .where(sql`${outbox.payload}->>'orderId' = ${orderId}`)
    .orderBy(outbox.createdAt);

const rowsFor = (orderId: string) =>
  db.select().from(paymentRecords).where(eq(paymentRecords.orderId, orderId));

function setUp(latencyMs = 0) {
  const recording = createRecordingProvider({ latencyMs });
  const payments = createPaymentsModule(context, { provider: recording.provider });
  return { ...recording, api: payments.api };
}

describe('capture', () => {
  it('captures an approved charge and publishes payment.captured in the same commit', async () => {
    const { api, charges } = setUp();
    const input = captureInput(2500, 'tok_visa');
    const payment = await api.capture(input, { correlationId: 'corr-1' });

    expect(payment).toMatchObject({
      orderId: input.orderId,
      userId: input.userId,
      amount: eur(2500),
      status: 'captured',
      failureReason: null,
      providerReference: expect.stringMatching(/^sbx_ch_/),
    });
    expect(charges).toEqual([
      { amount: eur(2500), cardToken: 'tok_visa', reference: input.orderId },
    ]);
    const [row] = await rowsFor(input.orderId);
    expect(row?.cardTokenLast4).toBe('visa');
    expect(await eventsFor(input.orderId)).toEqual([
      {
        name: 'payment.captured',
        payload: {
          paymentId: payment.id,
          orderId: input.orderId,
          userId: input.userId,
          amount: eur(2500),
        },
      },
    ]);
    const [event] = await db
      .select({ metadata: outbox.metadata })
      .from(outbox)
      .where(sql`${outbox.payload}->>'orderId' = ${input.orderId}`);
    expect(event?.metadata.correlationId).toBe('corr-1');
    expect(await api.getPaymentByOrder(input.orderId)).toEqual(payment);
  });

  it.each([
    ['an amount ending in 13', captureInput(1013), 'insufficient funds'],
    ['the card token tok_decline', captureInput(2500, 'tok_decline'), 'card declined'],
  ])(
    'records a decline for %s as a failed payment and payment.failed',
    async (_, input, reason) => {
      const { api } = setUp();
      const payment = await api.capture(input);

      expect(payment).toMatchObject({
        status: 'failed',
        failureReason: reason,
        providerReference: null,
      });
      expect(await rowsFor(input.orderId)).toHaveLength(1);
      expect(await eventsFor(input.orderId)).toEqual([
        {
          name: 'payment.failed',
          payload: {
            paymentId: payment.id,
            orderId: input.orderId,
            userId: input.userId,
            amount: input.amount,
            reason,
          },
        },
      ]);
    },
  );

  it('throws a 503 for a provider outage and records nothing, so a retry can charge', async () => {
    const { api, charges } = setUp();
    const input = captureInput(2500, 'tok_error');
    await expect(api.capture(input)).rejects.toMatchObject({
      status: 503,
      headers: { 'Retry-After': expect.any(String) },
    });
    expect(await rowsFor(input.orderId)).toEqual([]);
    expect(await eventsFor(input.orderId)).toEqual([]);

    const retried = await api.capture({ ...input, cardToken: 'tok_visa' });
    expect(retried.status).toBe('captured');
    expect(charges).toHaveLength(2);
  });

  it('replays a capture without charging again, for captured and failed payments alike', async () => {
    const { api, charges } = setUp();
    const approved = captureInput(2500);
    const declined = captureInput(1013);
    const first = await api.capture(approved);
    const firstDeclined = await api.capture(declined);

    expect(await api.capture(approved)).toEqual(first);
    // A decline is final for the order: the replay does not try the card again.
    expect(await api.capture(declined)).toEqual(firstDeclined);
    expect(charges).toHaveLength(2);
    expect(await eventsFor(approved.orderId)).toHaveLength(1);
    expect(await eventsFor(declined.orderId)).toHaveLength(1);
  });

  it('refuses a capture for an order that already has another user or amount (409)', async () => {
    const { api, charges } = setUp();
    const input = captureInput(2500);
    await api.capture(input);
    await expect(api.capture({ ...input, userId: randomUUID() })).rejects.toMatchObject({
      status: 409,
    });
    await expect(api.capture({ ...input, amount: eur(2600) })).rejects.toMatchObject({
      status: 409,
    });
    expect(charges).toHaveLength(1);
  });

  it('charges once and writes one row when 10 captures of one order race', async () => {
    // The provider's latency keeps every capture past the unlocked read before the first commits.
    const { api, charges } = setUp(50);
    const input = captureInput(4200);
    const results = await Promise.all(Array.from({ length: 10 }, () => api.capture(input)));

    expect(charges).toHaveLength(1);
    expect(new Set(results.map((payment) => payment.id)).size).toBe(1);
    expect(results.every((payment) => payment.status === 'captured')).toBe(true);
    expect(await rowsFor(input.orderId)).toHaveLength(1);
    expect(await eventsFor(input.orderId)).toHaveLength(1);
  });

  it('rejects a malformed call with a 400 and writes nothing', async () => {
    const { api, charges } = setUp();
    const orderId = randomUUID();
    const bad = [
      { orderId, userId: randomUUID(), amount: { amountMinor: 10.5, currency: 'EUR' } },
      { orderId, userId: randomUUID(), amount: eur(0) },
      { orderId, userId: 'nobody', amount: eur(100) },
      { orderId: 'not-a-uuid', userId: randomUUID(), amount: eur(100) },
      { orderId, userId: randomUUID(), amount: { amountMinor: 100, currency: 'eur' } },
    ];
    for (const input of bad) {
      await expect(api.capture(input)).rejects.toMatchObject({ status: 400 });
    }
    expect(charges).toEqual([]);
    expect(await rowsFor(orderId)).toEqual([]);
    expect(await api.getPaymentByOrder('not-a-uuid')).toBeUndefined();
  });
});

describe('refund', () => {
  it('refunds a captured payment in full once: a refunds row, payment.refunded, idempotent', async () => {
    const { api, refunds: providerRefunds } = setUp();
    const input = captureInput(3000);
    const captured = await api.capture(input);

    const refunded = await api.refund({ orderId: input.orderId, reason: 'order cancelled' });
    expect(refunded).toMatchObject({ id: captured.id, status: 'refunded', amount: eur(3000) });
    const again = await api.refund({ orderId: input.orderId, reason: 'asked twice' });
    expect(again).toEqual(refunded);

    expect(providerRefunds).toEqual([{ reference: captured.providerReference, amount: eur(3000) }]);
    const refundRows = await db.select().from(refunds).where(eq(refunds.paymentId, captured.id));
    expect(refundRows).toMatchObject([
      { amountMinor: 3000, currency: 'EUR', reason: 'order cancelled' },
    ]);
    expect((await eventsFor(input.orderId)).map((event) => event.name)).toEqual([
      'payment.captured',
      'payment.refunded',
    ]);
    const [refundedEvent] = await db
      .select({ payload: outbox.payload })
      .from(outbox)
      .where(
        and(
          eq(outbox.name, 'payment.refunded'),
          sql`${outbox.payload}->>'orderId' = ${input.orderId}`,
        ),
      );
    expect(refundedEvent?.payload).toEqual({
      paymentId: captured.id,
      orderId: input.orderId,
      userId: input.userId,
      amount: eur(3000),
      refundId: refundRows[0]?.id,
      reason: 'order cancelled',
    });
  });

  it('refunds once when two refunds of one payment race', async () => {
    const { api, moneyReturned } = setUp(30);
    const input = captureInput(3100);
    const captured = await api.capture(input);
    const results = await Promise.all([
      api.refund({ orderId: input.orderId, reason: 'one' }),
      api.refund({ orderId: input.orderId, reason: 'two' }),
    ]);
    expect(results.map((payment) => payment?.status)).toEqual(['refunded', 'refunded']);
    // No lock is held across the provider call, so both may ask it; it refunds the charge once.
    expect(moneyReturned()).toHaveLength(1);
    const refundRows = await db.select().from(refunds).where(eq(refunds.paymentId, captured.id));
    expect(refundRows.map((row) => row.providerReference)).toEqual(moneyReturned());
    expect((await eventsFor(input.orderId)).map((event) => event.name)).toEqual([
      'payment.captured',
      'payment.refunded',
    ]);
  });

  it('gives undefined for an order without a captured payment and changes nothing', async () => {
    const { api, refunds: providerRefunds } = setUp();
    expect(await api.refund({ orderId: randomUUID(), reason: 'none' })).toBeUndefined();
    const declined = captureInput(1013);
    await api.capture(declined);
    expect(await api.refund({ orderId: declined.orderId, reason: 'failed' })).toBeUndefined();
    expect((await api.getPaymentByOrder(declined.orderId))?.status).toBe('failed');
    expect(providerRefunds).toEqual([]);
  });
});

describe('stats', () => {
  it('counts payments by status and sums the captured money per currency', async () => {
    const harness = await openModuleHarness('payments-stats');
    try {
      const { api } = createPaymentsModule(harness.context);
      await api.capture(captureInput(1000));
      await api.capture(captureInput(2000));
      await api.capture({ ...captureInput(500), amount: { amountMinor: 500, currency: 'USD' } });
      await api.capture(captureInput(1013));
      const refunded = captureInput(7000);
      await api.capture(refunded);
      await api.refund({ orderId: refunded.orderId, reason: 'test' });

      expect(await api.stats()).toEqual({
        captured: 3,
        refunded: 1,
        failed: 1,
        capturedAmounts: [eur(3000), { amountMinor: 500, currency: 'USD' }],
      });
    } finally {
      await harness.cleanup();
    }
  });
});
