import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../../../test/support/failure.ts';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/services.ts';
import { isInfrastructureError } from '../resilience/infrastructure-error.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { postgresErrorCode } from './errors.ts';

// Transactions on a database reached through a fault proxy: whatever the connection does,
// a transaction ends within its bounds, fails with an infrastructure error, never crashes the
// process (vitest fails the file on an uncaught exception) and never writes outside itself.

const timeouts = { statementMs: 400, connectMs: 400 };
/** What one statement may take in all (see openDatabase): connect + statement + 1 s. */
const STATEMENT_BOUND_MS = 1_800;

let database: TestDatabase;
let proxy: FaultProxy;
let handle: DatabaseHandle;
/** The same database, not through the proxy: what is really stored. */
let direct: DatabaseHandle;

beforeAll(async () => {
  database = await createTestDatabase('db_transaction');
  const target = new URL(database.url);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  handle = await openDatabase({ url: proxy.via(database.url), dataDir: '', name: 'tx', timeouts });
  direct = await openDatabase({ url: database.url, dataDir: '', name: 'tx_direct' });
  await direct.db.execute(sql`create table notes (id serial primary key, body text not null)`);
});
afterEach(() => proxy.restore());
afterAll(async () => {
  await handle.close();
  await direct.close();
  await proxy.close();
  await database.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const notes = async (body: string) => {
  const rows = (await direct.db.execute(
    sql`select count(*)::int as n from notes where body = ${body}`,
  )) as unknown as { n: number }[];
  return rows[0]?.n;
};
/** The pool is whole again: a dozen transactions at once, more than it holds, all commit. */
const poolWorks = () =>
  Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      handle.db.transaction((tx) => tx.execute(sql`select ${i}::int as n`)),
    ),
  );

describe('a transaction whose connection is lost', () => {
  it('between statements fails, and sends nothing after the loss to a new session', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into notes (body) values ('before the loss')`);
        // A call to another system, during which the database connection dies.
        proxy.reset();
        await sleep(150);
        await tx.execute(sql`insert into notes (body) values ('after the loss')`);
      }),
    );
    expect(isInfrastructureError(error)).toBe(true);
    expect(await notes('before the loss')).toBe(0);
    expect(await notes('after the loss')).toBe(0);
    await poolWorks();
  }, 10_000);

  it('with statements in flight fails them all, and the pool goes on', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        // Five statements of 0.2 s each, sent together; the connection dies under the first.
        const inFlight = Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            tx.execute(sql`insert into notes (body) select ${`in flight ${i}`} from pg_sleep(0.2)`),
          ),
        );
        setTimeout(() => proxy.reset(), 50);
        await inFlight;
      }),
    );
    expect(isInfrastructureError(error)).toBe(true);
    await poolWorks();
  });

  it.each([1, 5])('is reset after %i statements: no crash, no half-written work', async (k) => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        for (let i = 0; i < 20; i++) {
          if (i === k) setTimeout(() => proxy.reset(), 5);
          await tx.execute(sql`insert into notes (body) values (${`step ${k}`})`);
          await sleep(10);
        }
      }),
    );
    expect(isInfrastructureError(error)).toBe(true);
    expect(await notes(`step ${k}`)).toBe(0);
    await poolWorks();
  });
});

describe('a database that is down', () => {
  it('fails transactions and statements within their bound, and serves again once back', async () => {
    await proxy.cut();
    const started = performance.now();
    const [transaction, statement] = await Promise.all([
      failureOf(handle.db.transaction((tx) => tx.execute(sql`select 1`))),
      failureOf(handle.db.execute(sql`select 1`)),
    ]);
    expect(performance.now() - started).toBeLessThan(STATEMENT_BOUND_MS + 500);
    expect(isInfrastructureError(transaction)).toBe(true);
    expect(isInfrastructureError(statement)).toBe(true);
    await proxy.restore();
    // Reconnecting waits at most 2 s between attempts.
    await expect(poolWorks()).resolves.toHaveLength(12);
  });

  it('a partition: a statement sent gets DeadlineExceeded, and the pool works once it heals', async () => {
    await poolWorks();
    proxy.blackhole();
    const error = await failureOf(handle.db.execute(sql`select 1`));
    expect(isInfrastructureError(error)).toBe(true);
    await proxy.restore();
    await poolWorks();
  });

  it('a partition at COMMIT: the caller hears DeadlineExceeded, not silence', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into notes (body) values ('commit unanswered')`);
        proxy.blackhole();
      }),
    );
    expect((error as Error).message).toContain('COMMIT');
    expect(isInfrastructureError(error)).toBe(true);
    await proxy.restore();
    await poolWorks();
  });

  it('a partition at BEGIN: the transaction given up on does not run once the link heals', async () => {
    await poolWorks();
    proxy.blackhole();
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into notes (body) values ('begun too late')`);
      }),
    );
    expect((error as Error).message).toContain('BEGIN');
    await proxy.restore();
    await poolWorks();
    expect(await notes('begun too late')).toBe(0);
  });

  it('a partition at BEGIN: work sent behind the unanswered BEGIN is not committed once the link heals', async () => {
    await poolWorks();
    proxy.blackhole();
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        // Sent behind BEGIN, late enough that its own bound outlasts BEGIN's: once the link
        // heals, BEGIN and the insert are both answered, after the caller was told it failed.
        await sleep(300);
        await tx.execute(sql`insert into notes (body) values ('behind a lost BEGIN')`);
      }),
    );
    expect((error as Error).message).toContain('BEGIN');
    await proxy.restore();
    await poolWorks();
    await sleep(300);
    expect(await notes('behind a lost BEGIN')).toBe(0);
  });
});

describe('a transaction whose statement fails', () => {
  it('reports the first failing statement, not the "transaction is aborted" that follow', async () => {
    const error = await failureOf(
      handle.db.transaction((tx) =>
        Promise.all([
          tx.execute(sql`insert into notes (body) values ('first')`),
          tx.execute(sql`insert into notes (body) values (${'nul \u0000 inside'})`),
          tx.execute(sql`insert into notes (body) values ('third')`),
          tx.execute(sql`insert into notes (body) values ('fourth')`),
        ]),
      ),
    );
    expect(postgresErrorCode(error)).toBe('22021');
    expect(await notes('first')).toBe(0);
  });

  it('reports it too when the work caught it and went on', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`select 1 / 0`).catch(() => undefined);
        await tx.execute(sql`insert into notes (body) values ('after a caught failure')`);
      }),
    );
    expect(postgresErrorCode(error)).toBe('22012');
  });
});
