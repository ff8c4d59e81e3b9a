import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentRecords as servicePayments } from '../../extracted/payments-service/schema.ts';
import type { VerifyReport } from '../../facade/extraction/verify.ts';
import { paymentRecords as legacyPayments } from '../modules/payments/legacy-tables.ts';
import { runExtractionCli } from './cli-process.ts';
import {
  openTwoPaymentDatabases,
  seedLegacyPayments,
  type TwoPaymentDatabases,
} from './two-databases.ts';

// extract:verify as an operator runs it, on two PostgreSQL databases a backfill made equal,
// then tampered with one difference at a time.

let dbs: TwoPaymentDatabases;
let ids: string[];
beforeAll(async () => {
  dbs = await openTwoPaymentDatabases('verify_cli');
  await seedLegacyPayments(dbs.legacy, 40);
  const backfill = await runExtractionCli(['backfill', 'payments', '--rate', '5000'], dbs.urls)
    .done;
  expect(backfill.code).toBe(0);
  // Captured rows only: they have no refund, so a plain delete removes one.
  ids = (
    await dbs.legacy.db
      .select({ id: legacyPayments.id })
      .from(legacyPayments)
      .where(eq(legacyPayments.status, 'captured'))
      .orderBy(legacyPayments.id)
  ).map((row) => row.id);
});
afterAll(async () => {
  await dbs.cleanup();
});

const verify = (...flags: string[]) =>
  runExtractionCli(['verify', 'payments', ...flags], dbs.urls).done;

describe('extract:verify -- payments', () => {
  it('exits 0 when both stores agree', async () => {
    const run = await verify();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'payments: 40 match, 0 mismatch, 0 missing in the service, 0 missing in legacy',
    );
  });

  it('exits 1 and names the row and field of a tampered amount', async () => {
    const id = ids[3] as string;
    await dbs.service.db
      .update(servicePayments)
      .set({ amountMinor: sql`${servicePayments.amountMinor} + 1` })
      .where(eq(servicePayments.id, id));
    const [legacyRow] = await dbs.legacy.db
      .select()
      .from(legacyPayments)
      .where(eq(legacyPayments.id, id));

    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${id} payment.amount.amount_minor: legacy ${legacyRow?.amountMinor}, service ${(legacyRow?.amountMinor ?? 0) + 1}`,
    );
    const json = await verify('--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report).toMatchObject({ equal: false, matches: 39, mismatches: 1 });
    expect(report.mismatchExamples).toEqual([
      {
        id,
        field: 'payment.amount.amount_minor',
        legacy: legacyRow?.amountMinor,
        service: (legacyRow?.amountMinor ?? 0) + 1,
      },
    ]);
    await dbs.service.db
      .update(servicePayments)
      .set({ amountMinor: sql`${servicePayments.amountMinor} - 1` })
      .where(eq(servicePayments.id, id));
  });

  it('exits 1 and names a row missing in the service and one missing in legacy', async () => {
    const goneFromService = ids[5] as string;
    const goneFromLegacy = ids[6] as string;
    await dbs.service.db.delete(servicePayments).where(eq(servicePayments.id, goneFromService));
    await dbs.legacy.db.delete(legacyPayments).where(eq(legacyPayments.id, goneFromLegacy));

    const run = await verify('--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      matches: 38,
      mismatches: 0,
      missingInService: { count: 1, ids: [goneFromService] },
      missingInLegacy: { count: 1, ids: [goneFromLegacy] },
      conflicts: [],
    });
    const text = await verify();
    expect(text.stdout).toContain(`missing in the service: ${goneFromService}`);
    expect(text.stdout).toContain(`missing in legacy: ${goneFromLegacy}`);
  });
});

describe('the extraction commands', () => {
  it('refuse an unknown capability with a clear message and exit 2', async () => {
    const run = await runExtractionCli(['backfill', 'invoices'], dbs.urls).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown capability "invoices": known are payments, users');
    expect(run.stdout).toBe('');
  });

  it('refuse a missing capability and a bad rate with exit 2', async () => {
    const missing = await runExtractionCli(['verify'], dbs.urls).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('name the capability to verify');
    const rate = await runExtractionCli(['backfill', 'payments', '--rate', 'fast'], dbs.urls).done;
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--rate must be a whole number above 0');
  });
});
