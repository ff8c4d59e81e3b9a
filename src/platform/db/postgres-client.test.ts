import { eq, sql } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedTestDatabase } from '../../../test/support/services.ts';
import type { Database, Transaction } from './database.ts';

const counters = pgTable('counters', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
});

let db: Database;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const test = await openMigratedTestDatabase('db_prepared');
  db = test.handle.db;
  cleanup = test.cleanup;
  await db.execute(sql`create table counters (name text primary key, value integer not null)`);
  await db.insert(counters).values({ name: 'orders', value: 0 });
});
afterAll(() => cleanup());

/** What the connection running `tx` holds as prepared statements (the view is per session). */
async function preparedOnConnection(tx: Transaction): Promise<string[]> {
  // On postgres.js the result is the row list itself.
  const rows = (await tx.execute(sql`select statement from pg_prepared_statements`)) as unknown;
  return (rows as { statement: string }[]).map((row) => row.statement);
}

describe('the postgres.js client under drizzle', () => {
  it('runs ordinary drizzle queries as prepared statements, inside transactions too', async () => {
    const statements = await db.transaction(async (tx) => {
      await tx
        .update(counters)
        .set({ value: sql`${counters.value} + 1` })
        .where(eq(counters.name, 'orders'));
      return preparedOnConnection(tx);
    });
    expect(statements.some((text) => text.startsWith('update "counters"'))).toBe(true);
  });

  it('gives the same answers as before: reads, writes and rollbacks', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.update(counters).set({ value: 100 }).where(eq(counters.name, 'orders'));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    for (let i = 0; i < 3; i++) {
      await db
        .update(counters)
        .set({ value: sql`${counters.value} + 1` })
        .where(eq(counters.name, 'orders'));
    }
    const [row] = await db.select().from(counters).where(eq(counters.name, 'orders'));
    expect(row?.value).toBe(4);
  });
});

describe('transactions', () => {
  const counterValue = async (name: string) =>
    (await db.select().from(counters).where(eq(counters.name, name)))[0]?.value;

  it('commits, and rolls back everything when the work throws', async () => {
    await db.insert(counters).values({ name: 'tx', value: 1 });
    await db.transaction(async (tx) => {
      await tx.update(counters).set({ value: 2 }).where(eq(counters.name, 'tx'));
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.update(counters).set({ value: 3 }).where(eq(counters.name, 'tx'));
        await tx.insert(counters).values({ name: 'tx', value: 9 }); // duplicate key
      }),
    ).rejects.toThrow();
    expect(await counterValue('tx')).toBe(2);
  });

  it('fails a transaction whose statement failed, even when the work caught the error', async () => {
    await db.insert(counters).values({ name: 'swallowed', value: 0 });
    await expect(
      db.transaction(async (tx) => {
        await tx.update(counters).set({ value: 1 }).where(eq(counters.name, 'swallowed'));
        await tx.execute(sql`select 1 / 0`).catch(() => undefined);
      }),
    ).rejects.toThrow('division by zero');
    expect(await counterValue('swallowed')).toBe(0);
  });

  it('runs nested transactions as savepoints: an inner failure keeps the outer work', async () => {
    await db.insert(counters).values({ name: 'nested', value: 0 });
    await db.transaction(async (tx) => {
      await tx.update(counters).set({ value: 1 }).where(eq(counters.name, 'nested'));
      await expect(
        tx.transaction(async (inner) => {
          await inner.update(counters).set({ value: 50 }).where(eq(counters.name, 'nested'));
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.transaction(async (inner) => {
        await inner
          .update(counters)
          .set({ value: sql`${counters.value} + 10` })
          .where(eq(counters.name, 'nested'));
      });
    });
    expect(await counterValue('nested')).toBe(11);
  });

  it('gives every connection back: more failing transactions than the pool holds', async () => {
    // The pool has 10 connections; a leaked one per failure would hang the last ones.
    for (let i = 0; i < 25; i++) {
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(sql`select 1 / 0`);
        }),
      ).rejects.toThrow('Failed query');
    }
    const rows = await Promise.all(
      Array.from({ length: 12 }, () => db.transaction((tx) => tx.execute(sql`select 1 as one`))),
    );
    expect(rows).toHaveLength(12);
  });

  it('survives a connection killed mid-transaction: the work fails, the pool goes on', async () => {
    await db.insert(counters).values({ name: 'killed', value: 0 });
    await expect(
      db.transaction(async (tx) => {
        await tx.update(counters).set({ value: 1 }).where(eq(counters.name, 'killed'));
        await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
      }),
    ).rejects.toThrow();
    expect(await counterValue('killed')).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        db.transaction((tx) => tx.execute(sql`select ${i}::int as n`)),
      ),
    );
    expect(results).toHaveLength(12);
  });
});
