import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, gte, sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/services.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { arrayLiteral, builtOnce, placeholders } from './prepared.ts';

const notes = pgTable('notes', {
  body: text('body').notNull(),
  n: integer('n').notNull(),
  extra: jsonb('extra').$type<{ tags: string[] }>().notNull(),
});

const cleanups: Array<() => Promise<void>> = [];
const handles: Record<'postgres' | 'pglite', DatabaseHandle> = {} as never;

beforeAll(async () => {
  const database = await createTestDatabase('db_prepared');
  cleanups.push(database.drop);
  const dataDir = await mkdtemp(join(tmpdir(), 'db-prepared-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  handles.postgres = await openDatabase({ url: database.url, dataDir, name: 'prepared' });
  handles.pglite = await openDatabase({ dataDir, name: 'prepared' });
  for (const handle of Object.values(handles)) {
    cleanups.push(() => handle.close());
    await handle.db.execute(
      sql`create table notes (body text not null unique, n integer not null, extra jsonb not null)`,
    );
  }
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const addNote = builtOnce<{ body: string; n: number; extra: { tags: string[] } }>()((db) =>
  db
    .insert(notes)
    .values(placeholders('body', 'n', 'extra'))
    .onConflictDoNothing()
    .returning({ body: notes.body }),
);

/** Its fields are named unlike the columns, so only drizzle's mapping answers them so. */
const notesFrom = builtOnce<{ least: number }>()((db) =>
  db
    .select({ label: notes.body, tags: sql<string[]>`${notes.extra}->'tags'`, count: notes.n })
    .from(notes)
    .where(gte(notes.n, sql.placeholder('least')))
    .orderBy(asc(notes.n)),
);

/** A bare statement, built once all the same. */
const bumpNote = builtOnce<{ body: string; by: number }>()(
  () =>
    sql`update notes set n = n + ${sql.placeholder('by')}::int where body = ${sql.placeholder('body')}`,
);

describe.each(['postgres', 'pglite'] as const)('a query built once, on %s', (kind) => {
  it('runs in whichever transaction it is given, with its own values each time', async () => {
    const handle = handles[kind];
    await expect(
      handle.db.transaction(async (tx) => {
        await addNote(tx, { body: 'rolled back', n: 1, extra: { tags: ['a'] } });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    const answers = await handle.db.transaction(async (tx) => [
      await addNote(tx, { body: 'committed', n: 2, extra: { tags: ['b', 'c'] } }),
      // A conflict inserts nothing, and the answer says so.
      await addNote(tx, { body: 'committed', n: 3, extra: { tags: [] } }),
    ]);
    await addNote(handle.db, { body: 'outside', n: 4, extra: { tags: [] } });

    expect(answers).toEqual([[{ body: 'committed' }], []]);
    expect(await handle.db.select().from(notes).orderBy(asc(notes.n))).toEqual([
      { body: 'committed', n: 2, extra: { tags: ['b', 'c'] } },
      { body: 'outside', n: 4, extra: { tags: [] } },
    ]);
  });

  it('answers a read with its rows mapped to the fields it selected, in and out of a transaction', async () => {
    const { db } = handles[kind];
    const inside = await db.transaction((tx) => notesFrom(tx, { least: 3 }));
    const outside = await notesFrom(db, { least: 0 });

    expect(inside).toEqual([{ label: 'outside', tags: [], count: 4 }]);
    expect(outside).toEqual([
      { label: 'committed', tags: ['b', 'c'], count: 2 },
      { label: 'outside', tags: [], count: 4 },
    ]);
  });

  it('runs a bare SQL statement in the transaction it is given', async () => {
    const { db } = handles[kind];
    await expect(
      db.transaction(async (tx) => {
        await bumpNote(tx, { body: 'outside', by: 100 });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await db.transaction((tx) => bumpNote(tx, { body: 'outside', by: 10 }));
    await bumpNote(db, { body: 'committed', by: 1 });

    expect(await notesFrom(db, { least: 0 })).toEqual([
      { label: 'committed', tags: ['b', 'c'], count: 3 },
      { label: 'outside', tags: [], count: 14 },
    ]);
  });
});

const echo = builtOnce<{ literal: string }>()((db) =>
  db
    .select({ values: sql<string[]>`${sql.placeholder('literal')}::text[]` })
    .from(sql`(values (1)) as one (x)`),
);

describe.each(['postgres', 'pglite'] as const)('an array literal, on %s', (kind) => {
  it('gives PostgreSQL back exactly the values it was made of, whatever they hold', async () => {
    const values = ['plain', 'with,comma', 'with "quotes"', 'back\\slash', '{braces}', ''];
    expect(await echo(handles[kind].db, { literal: arrayLiteral(values) })).toEqual([{ values }]);
  });
});
