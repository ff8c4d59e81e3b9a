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
