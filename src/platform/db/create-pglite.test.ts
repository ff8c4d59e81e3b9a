import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir() {
  const dir = await mkdtemp(join(tmpdir(), 'create-pglite-'));
  dirs.push(dir);
  return dir;
}

const hasTable = async (database: Awaited<ReturnType<typeof openDatabase>>) => {
  const rows = await database.db.execute(sql`select to_regclass('public.notes') is not null as t`);
  return (rows as unknown as { rows: Array<{ t: boolean }> }).rows[0]?.t;
};

describe('PGlite databases made from one compiled module', () => {
  it('opened side by side, new or existing, each is its own database', async () => {
    const dir = await dataDir();
    const [a, b] = await Promise.all([
      openDatabase({ dataDir: dir, name: 'a' }),
      openDatabase({ dataDir: dir, name: 'b' }),
    ]);
    await a.db.execute(sql`create table notes (text text)`);
    await a.db.execute(sql`insert into notes values ('only in a')`);
    expect(await hasTable(a)).toBe(true);
    expect(await hasTable(b)).toBe(false);
    await Promise.all([a.close(), b.close()]);

    const [again, other] = await Promise.all([
      openDatabase({ dataDir: dir, name: 'a' }),
      openDatabase({ dataDir: dir, name: 'b' }),
    ]);
    const rows = await again.db.execute(sql`select text from notes`);
    expect((rows as unknown as { rows: unknown[] }).rows).toEqual([{ text: 'only in a' }]);
    expect(await hasTable(other)).toBe(false);
    await Promise.all([again.close(), other.close()]);
  }, 60_000);
});
