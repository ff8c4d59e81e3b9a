import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingProvider } from '../../../test/modules/payments/recording-provider.ts';
import {
  createUnreliableProvider,
  ProviderTimeout,
} from '../../../test/modules/payments/unreliable-provider.ts';
import { startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { eventually, TEST_POSTGRES_URL } from '../../../test/support/services.ts';
import { outbox } from '../../platform/bus/schema.ts';
import { openDatabase } from '../../platform/db/database.ts';
import { settlesWithin } from '../../platform/resilience/deadline.ts';
import { createPaymentsModule, type PaymentsOptions } from './index.ts';
import { NotCharged, type PaymentProvider } from './ports.ts';
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

describe('a charge whose answer never came', () => {
  const PROVIDER_TIMEOUT_MS = 300;
  const moduleWith = (provider: PaymentProvider) =>
    createPaymentsModule(
      harness.context,
      { provider },
      { ...SHORT_ATTEMPT, providerTimeoutMs: PROVIDER_TIMEOUT_MS },
    ).api;

  it('stays pending and unclaimed; the refund asks the provider again: one charge, one refund', async () => {
    const unreliable = createUnreliableProvider();
    const api = moduleWith(unreliable.provider);
    const input = captureInput(5300);
    unreliable.loseAnswers(1);

    await expect(api.capture(input)).rejects.toMatchObject({ status: 503 });
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(await rowsFor(input.orderId)).toMatchObject([
      { status: 'pending', attemptToken: null, attemptExpiresAt: null },
    ]);

    // What the saga's compensation does with the 503.
    const refunded = await api.refund({ orderId: input.orderId, reason: 'checkout failed' });

    expect(refunded).toMatchObject({ status: 'refunded' });
    expect(unreliable.charges.map((charge) => charge.reference)).toEqual([
      input.orderId,
      input.orderId,
    ]);
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(unreliable.refunds).toEqual([
      { reference: unreliable.moneyTaken()[0], amount: input.amount },
    ]);
    expect(await rowsFor(input.orderId)).toMatchObject([{ status: 'refunded' }]);
    expect(await eventsFor(input.orderId)).toEqual(['payment.captured', 'payment.refunded']);
  });

  it('is finished by the capture retried: captured once', async () => {
    const unreliable = createUnreliableProvider();
    const api = moduleWith(unreliable.provider);
    const input = captureInput(5350);
    unreliable.loseAnswers(1);
    await expect(api.capture(input)).rejects.toMatchObject({ status: 503 });

    const payment = await api.capture(input);

    expect(payment).toMatchObject({ status: 'captured' });
    expect(unreliable.moneyTaken()).toEqual([payment.providerReference]);
    expect(await eventsFor(input.orderId)).toEqual(['payment.captured']);
  });

  it('from a provider that hangs is given up on after providerTimeoutMs: a 503, the payment pending', async () => {
    const unreliable = createUnreliableProvider();
    const api = moduleWith(unreliable.provider);
    const input = captureInput(5360);
    unreliable.hang(1);

    const started = performance.now();
    const capture = api.capture(input);
    capture.catch(() => {});
    expect(await settlesWithin(capture, PROVIDER_TIMEOUT_MS + 2_000)).toBe(true);
    const elapsed = performance.now() - started;

    await expect(capture).rejects.toMatchObject({ status: 503 });
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 5);
    expect(await rowsFor(input.orderId)).toMatchObject([{ status: 'pending', attemptToken: null }]);
    expect(await api.refund({ orderId: input.orderId, reason: 'checkout failed' })).toMatchObject({
      status: 'refunded',
    });
    expect(unreliable.moneyTaken()).toHaveLength(1);
    expect(unreliable.moneyReturned()).toHaveLength(1);
  });

  it('is told apart from a refusal before charging (tok_error): that one leaves nothing, and a refund asks nothing', async () => {
    const recording = createRecordingProvider();
    const api = moduleWith(recording.provider);
    const input = { ...captureInput(5370), cardToken: 'tok_error' };

    await expect(api.capture(input)).rejects.toMatchObject({ status: 503 });
    expect(await rowsFor(input.orderId)).toEqual([]);
    expect(await api.refund({ orderId: input.orderId, reason: 'checkout failed' })).toBeUndefined();
    expect(recording.charges).toHaveLength(1);
    expect(recording.refunds).toEqual([]);
  });

  it('that the provider, asked again, says it never charged: the refund has nothing to give back', async () => {
    const answers: (() => never)[] = [
      () => {
        throw new ProviderTimeout('no answer');
      },
      () => {
        throw new NotCharged('card processor down; nothing was charged');
      },
    ];
    const recording = createRecordingProvider();
    const api = moduleWith({
      async charge(request) {
        recording.charges.push(request);
        const answer = answers.shift();
        return answer ? answer() : recording.provider.charge(request);
      },
      refund: (request) => recording.provider.refund(request),
    });
    const input = captureInput(5380);
    await expect(api.capture(input)).rejects.toMatchObject({ status: 503 });

    expect(await api.refund({ orderId: input.orderId, reason: 'checkout failed' })).toBeUndefined();
    expect(await rowsFor(input.orderId)).toEqual([]);
    expect(recording.charges).toHaveLength(2);
    expect(recording.refunds).toEqual([]);
  });

  it('after a takeover (the first claim lapsed, the taker lost its answer too): the refund gives the money back, and the late first answer changes nothing', async () => {
    const unreliable = createUnreliableProvider();
    let answerFirst = () => {};
    const firstAnswered = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    const slowToAnswer: PaymentProvider = {
      async charge(request) {
        const answer = await unreliable.provider.charge(request);
        await firstAnswered;
        return answer;
      },
      refund: (request) => unreliable.provider.refund(request),
    };
    // The first attempt's process reaches its database through a proxy, to lose it for a while.
    const target = new URL(TEST_POSTGRES_URL);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    const handle = await openDatabase({ url: proxy.via(harness.url), dataDir: '', name: 'first' });
    const first = createPaymentsModule(
      { ...harness.context, db: handle.db },
      { provider: slowToAnswer },
      { ...SHORT_ATTEMPT, providerTimeoutMs: 60_000 },
    ).api;
    const second = moduleWith(unreliable.provider);
    try {
      const input = captureInput(5400);
      const firstCapture = first.capture(input).catch((error: unknown) => error);
      await eventually(() => expect(unreliable.charges).toHaveLength(1));
      // Its database gone, the first process cannot renew its claim: the claim lapses.
      await proxy.cut();
      unreliable.loseAnswers(1);

      await expect(second.capture(input)).rejects.toMatchObject({ status: 503 });
      const refunded = await second.refund({ orderId: input.orderId, reason: 'checkout failed' });
      expect(refunded).toMatchObject({ status: 'refunded' });

      // The first process gets its database back, then its answer.
      await proxy.restore();
      answerFirst();
      await firstCapture;

      expect(await rowsFor(input.orderId)).toMatchObject([{ status: 'refunded' }]);
      expect(unreliable.moneyTaken()).toHaveLength(1);
      expect(unreliable.moneyReturned()).toHaveLength(1);
      expect(await eventsFor(input.orderId)).toEqual(['payment.captured', 'payment.refunded']);
    } finally {
      answerFirst();
      await proxy.close();
      await Promise.race([handle.close(), sleep(1_000)]);
    }
  });
});
