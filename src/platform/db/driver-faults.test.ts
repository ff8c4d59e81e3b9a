import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { TEST_POSTGRES_URL } from '../../../test/support/services.ts';

// postgres.js as patched (patches/): connections lost at every moment of their start-up, the
// array-types query included, fail only the queries waiting on them. Before the patch this
// left unhandled rejections (vitest fails the file on one; a process exits on one) and
// replayed the dead session's error onto the next session's first query.

let proxy: FaultProxy;
beforeAll(async () => {
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterAll(() => proxy.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('postgres.js under connection resets during start-up', () => {
  it('fails the waiting query cleanly and serves the next one', async () => {
    for (let delayMs = 0; delayMs <= 24; delayMs += 2) {
      const sql = postgres(proxy.via(TEST_POSTGRES_URL), {
        max: 1,
        onnotice: () => {},
        backoff: () => 0,
      });
      const first = sql`select 1 as one`.then(
        () => 'answered',
        (error: { code?: string }) => error.code ?? 'failed',
      );
      await sleep(delayMs);
      proxy.reset();
      const outcome = await first;
      expect(['answered', 'ECONNRESET', 'CONNECTION_CLOSED']).toContain(outcome);
      // Once the lost connection's close is handled, the next query gets a new session and its
      // own answer (not the dead session's error).
      await sleep(50);
      expect(await sql`select 2 as two`).toEqual([{ two: 2 }]);
      await sql.end({ timeout: 1 });
    }
  });
});

describe('postgres.js transactions at the pipeline boundary', () => {
  // Unpatched, a BEGIN that fills a connection's pipeline (always, with max_pipeline 0) does not
  // reserve the connection: the transaction fails with UNSAFE_TRANSACTION, or its connection
  // goes back to the pool with the transaction open (porsager/postgres#1189, #823, #1210).
  it('reserves the connection of every BEGIN, so concurrent transactions each get their own', async () => {
    const observer = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      for (const max_pipeline of [0, 1, 2]) {
        const application_name = `driver_faults_pipeline_${max_pipeline}`;
        // max_pipeline is an option of postgres.js that its types do not declare.
        const undeclared: object = { max_pipeline };
        const sql = postgres(TEST_POSTGRES_URL, {
          max: 3,
          onnotice: () => {},
          connection: { application_name },
          ...undeclared,
        });
        try {
          const busy = Array.from({ length: 3 }, () => sql`select pg_sleep(0.2)`);
          const plain = Array.from({ length: 6 }, (_, i) => sql`select ${i}::int as n`);
          const transactions = Array.from({ length: 5 }, (_, i) =>
            sql.begin(async (tx) => (await tx`select ${i}::int as n`)[0]),
          );
          await Promise.all([...busy, ...plain]);
          expect(await Promise.all(transactions)).toEqual(
            Array.from({ length: 5 }, (_, i) => ({ n: i })),
          );
          // Every transaction ended: no connection of the pool is left inside one.
          const open = await observer`
            select count(*)::int as n from pg_stat_activity
            where application_name = ${application_name} and state like 'idle in transaction%'`;
          expect({ max_pipeline, open: open[0]?.n }).toEqual({ max_pipeline, open: 0 });
        } finally {
          await sql.end({ timeout: 1 });
        }
      }
    } finally {
      await observer.end({ timeout: 1 });
    }
  });
});
