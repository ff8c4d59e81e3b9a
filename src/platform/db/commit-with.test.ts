import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../../../test/support/failure.ts';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { createTestDatabase } from '../../../test/support/services.ts';
import { beforeCommit, commitWith } from './commit-with.ts';
import type { Executor } from './database.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { postgresErrorCode } from './errors.ts';

// commitWith on PostgreSQL reached through a fault proxy, which counts the round trips a
// transaction takes (each write that follows an answer reaches the proxy as a chunk of its
// own); the rows are read back directly. PGlite runs the same work as a plain transaction.

const timeouts = { statementMs: 400, connectMs: 400 };
const cleanups: Array<() => Promise<void>> = [];
let proxy: FaultProxy;
let handle: DatabaseHandle;
/** The same database, not through the proxy: what is really stored. */
let direct: DatabaseHandle;
let pglite: DatabaseHandle;

beforeAll(async () => {
  const database = await createTestDatabase('db_commit_with');
  cleanups.push(database.drop);
  const target = new URL(database.url);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const dataDir = await mkdtemp(join(tmpdir(), 'db-commit-with-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  handle = await openDatabase({ url: proxy.via(database.url), dataDir, name: 'cw', timeouts });
  direct = await openDatabase({ url: database.url, dataDir, name: 'cw_direct' });
  pglite = await openDatabase({ dataDir, name: 'cw' });
  for (const opened of [handle, direct, pglite]) cleanups.push(() => opened.close());
  // No parameters anywhere below, so no statement needs a round trip of its own to be described.
  for (const db of [direct.db, pglite.db]) {
    await db.execute(sql`create table notes (id serial primary key, body text not null)`);
  }
});
afterEach(() => proxy.restore());
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The messages of an error and its causes (drizzle wraps a failed statement's error). */
const causes = (error: unknown): string =>
  error instanceof Error ? `${error.message} <- ${causes(error.cause)}` : String(error);
const insert = (db: Executor, body: SQL) =>
  db.execute(sql`insert into notes (body) values (${body})`);
const notesIn = async (db: Executor, body: string) => {
  const rows = (await db.execute(
    sql`select count(*)::int as n from notes where body = ${body}`,
  )) as unknown as { n: number }[] | { rows: { n: number }[] };
  return (Array.isArray(rows) ? rows : rows.rows)[0]?.n;
};
const notes = (body: string) => notesIn(direct.db, body);
/** Every connection of the pool opened and used, so what is counted is the transaction alone. */
const warm = () =>
  Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      handle.db.transaction((tx) => tx.execute(sql`select ${sql.raw(String(i))} as n`)),
    ),
  );
/** Chunks the transaction sent the server, from BEGIN to COMMIT. */
async function roundTrips(run: () => Promise<unknown>) {
  await warm();
  const before = proxy.sentToServer;
  await run();
  return proxy.sentToServer - before;
}

describe('a transaction ended by commitWith', () => {
  it('sends COMMIT in the round trip of its last statements, and commits them', async () => {
    const plain = await roundTrips(() =>
      handle.db.transaction(async (tx) => {
        await insert(tx, sql.raw(`'plain first'`));
        await Promise.all([
          insert(tx, sql.raw(`'plain last'`)),
          insert(tx, sql.raw(`'plain last'`)),
        ]);
      }),
    );
    let value: unknown;
    const ended = await roundTrips(async () => {
      value = await handle.db.transaction(async (tx) => {
        await insert(tx, sql.raw(`'ended first'`));
        return commitWith(tx, async () => {
          await Promise.all([
            insert(tx, sql.raw(`'ended last'`)),
            insert(tx, sql.raw(`'ended last'`)),
          ]);
          return 'its value';
        });
      });
    });
    // BEGIN with the first insert, the last two, then COMMIT on its own; with commitWith,
    // COMMIT goes with the last two.
    expect(plain).toBe(3);
    expect(ended).toBe(2);
    expect(value).toBe('its value');
    expect(await notes('ended first')).toBe(1);
    expect(await notes('ended last')).toBe(2);
  });

  it('rolls everything back when a last statement fails, and reports that statement', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await insert(tx, sql.raw(`'before a failing last'`));
        return commitWith(tx, () =>
          Promise.all([
            insert(tx, sql.raw(`'beside a failing last'`)),
            insert(tx, sql.raw(`'x' || (1 / 0)::text`)),
            insert(tx, sql.raw(`'after a failing last'`)),
          ]),
        );
      }),
    );
    expect(postgresErrorCode(error)).toBe('22012');
    expect(await notes('before a failing last')).toBe(0);
    expect(await notes('beside a failing last')).toBe(0);
    expect(await notes('after a failing last')).toBe(0);
    // The connection went back to the pool outside any transaction.
    expect(await warm()).toHaveLength(12);
  });

  it('refuses a statement the work sends after it', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await commitWith(tx, () => insert(tx, sql.raw(`'committed last'`)));
        await insert(tx, sql.raw(`'sent too late'`));
      }),
    );
    expect(causes(error)).toContain('statement refused');
    await sleep(50);
    expect(await notes('sent too late')).toBe(0);
    // What was sent with COMMIT is committed: the contract is that nothing follows it.
    expect(await notes('committed last')).toBe(1);
  });

  it('behind an unanswered BEGIN: a transaction given up on is not committed once the link heals', async () => {
    await warm();
    proxy.blackhole();
    const error = await failureOf(
      handle.db.transaction((tx) => commitWith(tx, () => insert(tx, sql.raw(`'behind BEGIN'`)))),
    );
    expect((error as Error).message).toContain('BEGIN');
    await proxy.restore();
    await warm();
    await sleep(300);
    expect(await notes('behind BEGIN')).toBe(0);
  });

  it('as the whole work, behind BEGIN: commits once BEGIN is answered', async () => {
    const trips = await roundTrips(() =>
      handle.db.transaction((tx) => commitWith(tx, () => insert(tx, sql.raw(`'whole work'`)))),
    );
    // BEGIN with the insert, then COMMIT once BEGIN answered: never before it.
    expect(trips).toBe(2);
    expect(await notes('whole work')).toBe(1);
  });

  it('holds COMMIT for a check given to beforeCommit, and sends none when the check fails', async () => {
    let pass: () => void = () => {};
    const passed = new Promise<void>((resolve) => {
      pass = resolve;
    });
    const checked = handle.db.transaction(async (tx) => {
      beforeCommit(tx, () => passed);
      await commitWith(tx, () => insert(tx, sql.raw(`'after a check'`)));
    });
    await sleep(100);
    // The insert was answered long ago; COMMIT still waits for the check.
    expect(await notes('after a check')).toBe(0);
    pass();
    await checked;
    expect(await notes('after a check')).toBe(1);

    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        beforeCommit(tx, async () => {
          throw new Error('the check failed');
        });
        await commitWith(tx, () => insert(tx, sql.raw(`'behind a failed check'`)));
      }),
    );
    expect((error as Error).message).toBe('the check failed');
    expect(await notes('behind a failed check')).toBe(0);
    expect(await warm()).toHaveLength(12);
  });

  it('in a savepoint, leaves COMMIT to the transaction, which can still roll it back', async () => {
    const error = await failureOf(
      handle.db.transaction(async (tx) => {
        await tx.transaction((inner) =>
          commitWith(inner, () => insert(inner, sql.raw(`'in a savepoint'`))),
        );
        await insert(tx, sql.raw(`'after the savepoint'`));
        throw new Error('the work failed after its savepoint');
      }),
    );
    expect((error as Error).message).toBe('the work failed after its savepoint');
    expect(await notes('in a savepoint')).toBe(0);
    expect(await notes('after the savepoint')).toBe(0);
  });

  it('on PGlite, runs the last statements and commits as a plain transaction does', async () => {
    const value = await pglite.db.transaction(async (tx) => {
      await insert(tx, sql.raw(`'pglite first'`));
      return commitWith(tx, async () => {
        await insert(tx, sql.raw(`'pglite last'`));
        return 'pglite value';
      });
    });
    expect(value).toBe('pglite value');
    expect(await notesIn(pglite.db, 'pglite first')).toBe(1);
    expect(await notesIn(pglite.db, 'pglite last')).toBe(1);
    const error = await failureOf(
      pglite.db.transaction(async (tx) => {
        await insert(tx, sql.raw(`'pglite rolled back'`));
        return commitWith(tx, () => insert(tx, sql.raw(`'x' || (1 / 0)::text`)));
      }),
    );
    expect(postgresErrorCode(error)).toBe('22012');
    expect(await notesIn(pglite.db, 'pglite rolled back')).toBe(0);
  });
});
