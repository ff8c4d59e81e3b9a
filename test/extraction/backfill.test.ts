import { ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  paymentRecords as servicePayments,
  refunds as serviceRefunds,
} from '../../extracted/payments-service/schema.ts';
import { paymentsExtraction } from '../../facade/extraction/payments.ts';
import { verifyCapability } from '../../facade/extraction/verify.ts';
import { extractionCheckpoints } from '../../src/platform/extraction/schema.ts';
import { paymentRecords as legacyPayments } from '../modules/payments/legacy-tables.ts';
import { eventually } from '../support/services.ts';
import { runExtractionCli } from './cli-process.ts';
import {
  openTwoPaymentDatabases,
  seedLegacyPayments,
  type TwoPaymentDatabases,
} from './two-databases.ts';

// extract:backfill as an operator runs it: a child process on the PostgreSQL URLs, killed with
// SIGKILL halfway, then run again to the end.

const ROWS = 600;
let dbs: TwoPaymentDatabases;
beforeAll(async () => {
  dbs = await openTwoPaymentDatabases('backfill_kill');
  await seedLegacyPayments(dbs.legacy, ROWS, 5);
});
afterAll(async () => {
  await dbs.cleanup();
});

const serviceRows = () =>
  dbs.service.db
    .select({
      id: servicePayments.id,
      version: servicePayments.version,
      status: servicePayments.status,
    })
    .from(servicePayments)
    .orderBy(servicePayments.id);

const legacyRows = async () =>
  (
    await dbs.legacy.db
      .select({
        id: legacyPayments.id,
        version: legacyPayments.version,
        status: legacyPayments.status,
      })
      .from(legacyPayments)
      .where(ne(legacyPayments.status, 'pending'))
      .orderBy(legacyPayments.id)
  ).map((row) => ({ ...row, status: row.status === 'failed' ? 'declined' : row.status }));

const copiedSoFar = async () => {
  const [row] = await dbs.service.db.select().from(extractionCheckpoints);
  return row?.copied ?? 0;
};

describe('extract:backfill -- payments', () => {
  it('killed halfway and run again, copies every settled row exactly once and says so', async () => {
    const first = runExtractionCli(
      ['backfill', 'payments', '--rate', '300', '--batch', '20'],
      dbs.urls,
    );
    await eventually(async () => expect(await copiedSoFar()).toBeGreaterThanOrEqual(150), {
      timeoutMs: 20_000,
    });
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const halfway = await copiedSoFar();
    expect(halfway).toBeLessThan(ROWS);
    expect((await serviceRows()).length).toBe(halfway);

    const second = await runExtractionCli(['backfill', 'payments', '--rate', '5000'], dbs.urls)
      .done;
    expect(second.code).toBe(0);
    // The resumed run counts on from the checkpoint: every row copied once, none twice.
    expect(second.stdout).toBe(
      `payments: copied ${ROWS}, unchanged 0, conflicts 0, total ${ROWS} (resumed)\n`,
    );
    expect(second.stderr).toMatch(new RegExp(`payments: ${ROWS}/${ROWS} rows \\(100%\\)`));
    // Each row with the version it has in legacy, and the pending captures left behind.
    expect(await serviceRows()).toEqual(await legacyRows());
    expect(await dbs.service.db.select().from(serviceRefunds)).toHaveLength(ROWS / 10);
  });

  it('run again after a finished pass, copies nothing and finds every row unchanged', async () => {
    const again = await runExtractionCli(['backfill', 'payments', '--rate', '5000'], dbs.urls).done;
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `payments: copied 0, unchanged ${ROWS}, conflicts 0, total ${ROWS}\n`,
    );
    const report = await verifyCapability({
      extraction: paymentsExtraction,
      legacyDb: dbs.legacy.db,
      serviceDb: dbs.service.db,
    });
    expect(report).toMatchObject({ equal: true, matches: ROWS });
  });
});
