import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

// The migrator is skipped when nothing is pending, so a start on an existing data directory
// must still apply a migration added since the last one.

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'pending-migrations-'));
  dirs.push(dir);
  return dir;
}

/** A drizzle migrations folder with one table per migration, made at the given moments. */
function writeMigrations(folder: string, migrations: Array<{ table: string; when: number }>) {
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const entries = migrations.map(({ table, when }, idx) => {
    const tag = `${String(idx).padStart(4, '0')}_${table}`;
    writeFileSync(join(folder, `${tag}.sql`), `CREATE TABLE "${table}" ("id" integer);`);
    return { idx, version: '7', when, tag, breakpoints: true };
  });
  writeFileSync(
    join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries }),
  );
}

async function tables(database: Awaited<ReturnType<typeof openDatabase>>): Promise<string[]> {
  const result = await database.db.execute(
    sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
  );
  return (result as unknown as { rows: Array<{ tablename: string }> }).rows.map(
    (row) => row.tablename,
  );
}

describe('migrations on PGlite', () => {
  it('a start on an existing data directory applies a migration added since, and only that', async () => {
    const [dataDir, folder] = [await tempDir(), await tempDir()];
    writeMigrations(folder, [{ table: 'first', when: 1_000 }]);
    const first = await openDatabase({ dataDir, name: 'component' });
    await first.migrate(folder);
    expect(await tables(first)).toEqual(['first']);
    await first.close();

    // Up to date: a second start changes nothing.
    const second = await openDatabase({ dataDir, name: 'component' });
    await second.migrate(folder);
    expect(await tables(second)).toEqual(['first']);
    await second.close();

    writeMigrations(folder, [
      { table: 'first', when: 1_000 },
      { table: 'second', when: 2_000 },
    ]);
    const third = await openDatabase({ dataDir, name: 'component' });
    await third.migrate(folder);
    expect(await tables(third)).toEqual(['first', 'second']);
    const applied = await third.db.execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect((applied as unknown as { rows: Array<{ n: number }> }).rows[0]?.n).toBe(2);
    await third.close();
  }, 60_000);
});
