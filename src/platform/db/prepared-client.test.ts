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
