import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingProvider } from '../../../test/modules/payments/recording-provider.ts';
import { startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { eventually, TEST_POSTGRES_URL } from '../../../test/support/services.ts';
import { outbox } from '../../platform/bus/schema.ts';
import { openDatabase } from '../../platform/db/database.ts';
import { createPaymentsModule, type PaymentsOptions } from './index.ts';
import type { PaymentProvider } from './ports.ts';
import { paymentRecords } from './schema.ts';

// Capture and refund against real PostgreSQL (PGlite has one connection and proves nothing
// about races): no transaction is open while the provider is called, concurrent captures of
// one order charge once, and a capture interrupted between the provider's answer and its
// record is finished by the next attempt without a second charge.

let harness: ModuleHarness;
beforeAll(async () => {
  harness = await openModuleHarness('payments-attempts');
});
afterAll(async () => {
  await harness.cleanup();
});

const SHORT_ATTEMPT: PaymentsOptions = { captureAttemptMs: 300, captureWaitMs: 5_000 };

const captureInput = (amountMinor = 2500) => ({
  orderId: randomUUID(),
  userId: randomUUID(),
  amount: { amountMinor, currency: 'EUR' },
  cardToken: 'tok_visa',
});

/** Another process on the same database: its own pool, its own module instance. */
async function anotherProcess(provider: PaymentProvider, options: PaymentsOptions = {}) {
  const handle = await openDatabase({ url: harness.url, dataDir: '', name: 'payments-other' });
  const module = createPaymentsModule(
    { ...harness.context, db: handle.db },
    { provider },
    { ...SHORT_ATTEMPT, ...options },
  );
  return { handle, api: module.api };
}

const rowsFor = (orderId: string) =>
  harness.db.select().from(paymentRecords).where(eq(paymentRecords.orderId, orderId));

const eventsFor = async (orderId: string) =>
  (
    await harness.db
      .select({ name: outbox.name })
      .from(outbox)
      .where(sql`${outbox.payload}->>'orderId' = ${orderId}`)
      .orderBy(outbox.createdAt)
  ).map((event) => event.name);

/** Sessions of this test database inside a transaction right now. */
const openTransactions = async () => {
  const [row] = await harness.db
    .select({ n: sql<number>`count(*)::int` })
    .from(sql`pg_stat_activity`)
    .where(sql`datname = current_database() and state like 'idle in transaction%'`);
  return row?.n;
};

describe('the provider call', () => {
  it('runs with no transaction open, for a capture and for a refund', async () => {
    const recording = createRecordingProvider();
    const seen: { call: string; open: number | undefined }[] = [];
    const watching: PaymentProvider = {
      async charge(request) {
        seen.push({ call: 'charge', open: await openTransactions() });
        return recording.provider.charge(request);
      },
      async refund(request) {
        seen.push({ call: 'refund', open: await openTransactions() });
        return recording.provider.refund(request);
      },
    };
    const { api } = createPaymentsModule(harness.context, { provider: watching });
    const input = captureInput();
    expect(await api.capture(input)).toMatchObject({ status: 'captured' });
    expect(await api.refund({ orderId: input.orderId, reason: 'changed my mind' })).toMatchObject({
      status: 'refunded',
    });
    expect(seen).toEqual([
      { call: 'charge', open: 0 },
      { call: 'refund', open: 0 },
    ]);
  });
});

describe('concurrent captures of one order', () => {
  it('from two processes, 10 each: one charge, one row, one event', async () => {
    const recording = createRecordingProvider({ latencyMs: 80 });
    const here = createPaymentsModule(harness.context, { provider: recording.provider });
    const there = await anotherProcess(recording.provider);
    try {
      const input = captureInput(4300);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? there.api : here.api).capture(input)),
      );
      expect(recording.charges).toHaveLength(1);
      expect(new Set(results.map((payment) => `${payment.id} ${payment.status}`))).toEqual(
        new Set([`${results[0]?.id} captured`]),
      );
      expect(await rowsFor(input.orderId)).toHaveLength(1);
      expect(await eventsFor(input.orderId)).toEqual(['payment.captured']);
    } finally {
      await there.handle.close();
    }
  });
});

describe('a capture interrupted after the provider charged', () => {
  /**
   * A process that dies between the provider's answer and its record: the provider charges,
   * then the process's database is gone for good (cut behind a fault proxy) before it can
   * write what it heard, and its claim on the attempt is no longer renewed.
   */
  async function dyingAfterTheCharge(provider: PaymentProvider) {
    const target = new URL(TEST_POSTGRES_URL);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    const handle = await openDatabase({ url: proxy.via(harness.url), dataDir: '', name: 'dying' });
    const lastWords: PaymentProvider = {
      async charge(request) {
        const answer = await provider.charge(request);
        await proxy.cut();
        return answer;
      },
      refund: (request) => provider.refund(request),
    };
    const module = createPaymentsModule(
      { ...harness.context, db: handle.db },
      { provider: lastWords },
      SHORT_ATTEMPT,
    );
    return {
      /** Starts the capture that dies; it never records anything. */
      async capture(input: ReturnType<typeof captureInput>) {
        // Whether the dead process's call fails or hangs does not matter: nobody hears it.
        module.api.capture(input).catch(() => {});
        await eventually(async () => {
          expect(proxy.connections).toBe(0);
          expect(await rowsFor(input.orderId)).toMatchObject([{ status: 'pending' }]);
        });
      },
      async bury() {
        await proxy.close();
        await Promise.race([handle.close(), sleep(1_000)]);
      },
    };
  }

  const survivorWith = (provider: PaymentProvider) =>
    createPaymentsModule(harness.context, { provider }, SHORT_ATTEMPT).api;

  it('is finished by the next capture: recorded once, charged once', async () => {
    const recording = createRecordingProvider();
    const dead = await dyingAfterTheCharge(recording.provider);
    try {
      const input = captureInput(5100);
      await dead.capture(input);
      expect(recording.moneyTaken()).toHaveLength(1);

      const payment = await survivorWith(recording.provider).capture(input);

      expect(payment).toMatchObject({ status: 'captured' });
      // The provider was asked twice under the order's reference and charged once.
      expect(recording.charges.map((charge) => charge.reference)).toEqual([
        input.orderId,
        input.orderId,
      ]);
      expect(recording.moneyTaken()).toEqual([payment.providerReference]);
      expect(await rowsFor(input.orderId)).toMatchObject([
        { status: 'captured', cardToken: null, attemptToken: null, attemptExpiresAt: null },
      ]);
      expect(await eventsFor(input.orderId)).toEqual(['payment.captured']);
    } finally {
      await dead.bury();
    }
  });

  it('is finished by a refund before it gives the money back: nothing kept, nothing lost', async () => {
    const recording = createRecordingProvider();
    const dead = await dyingAfterTheCharge(recording.provider);
    try {
      const input = captureInput(5200);
      await dead.capture(input);

      const refunded = await survivorWith(recording.provider).refund({
        orderId: input.orderId,
        reason: 'cancelled',
      });

      expect(refunded).toMatchObject({ status: 'refunded' });
      expect(recording.moneyTaken()).toHaveLength(1);
      expect(recording.moneyReturned()).toHaveLength(1);
      expect(recording.refunds).toEqual([
        { reference: recording.moneyTaken()[0], amount: input.amount },
      ]);
      expect(await eventsFor(input.orderId)).toEqual(['payment.captured', 'payment.refunded']);
    } finally {
      await dead.bury();
    }
  });
});
