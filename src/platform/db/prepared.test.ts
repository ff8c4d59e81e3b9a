import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/services.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { placeholders, writeOnce } from './prepared.ts';

const notes = pgTable('notes', {
  body: text('body').notNull(),
  n: integer('n').notNull(),
  extra: jsonb('extra').$type<{ tags: string[] }>().notNull(),
});

const cleanups: Array<() => Promise<void>> = [];
let handle: DatabaseHandle;

beforeAll(async () => {
  const database = await createTestDatabase('db_prepared');
  cleanups.push(database.drop);
  const dataDir = await mkdtemp(join(tmpdir(), 'db-prepared-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  handle = await openDatabase({ url: database.url, dataDir, name: 'prepared' });
  cleanups.push(() => handle.close());
  await handle.db.execute(
    sql`create table notes (body text not null unique, n integer not null, extra jsonb not null)`,
  );
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const addNote = writeOnce<{ body: string; n: number; extra: { tags: string[] } }>((db) =>
  db
    .insert(notes)
    .values(placeholders('body', 'n', 'extra'))
    .onConflictDoNothing()
    .returning({ body: notes.body }),
);

describe('a write built once', () => {
  it('runs in whichever transaction it is given, with its own values each time', async () => {
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

    expect(answers.map((rows) => rows.length)).toEqual([1, 0]);
    expect(await handle.db.select().from(notes).orderBy(asc(notes.n))).toEqual([
      { body: 'committed', n: 2, extra: { tags: ['b', 'c'] } },
      { body: 'outside', n: 4, extra: { tags: [] } },
    ]);
  });
});
