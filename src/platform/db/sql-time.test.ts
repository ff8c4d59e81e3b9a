import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/services.ts';
import { type DatabaseHandle, openDatabase } from './database.ts';
import { ago, fromNow } from './sql-time.ts';

const DAY_MS = 24 * 3600 * 1000;

let postgres: TestDatabase;
let pgliteDir: string;
const handles: Record<string, DatabaseHandle> = {};

beforeAll(async () => {
  postgres = await createTestDatabase('sql_time');
  pgliteDir = await mkdtemp(join(tmpdir(), 'sql-time-'));
  handles.postgres = await openDatabase({ url: postgres.url, dataDir: '', name: 'sql-time' });
  handles.pglite = await openDatabase({ dataDir: pgliteDir, name: 'sql-time' });
});
afterAll(async () => {
  await Promise.all(Object.values(handles).map((handle) => handle.close()));
  await postgres.drop();
  await rm(pgliteDir, { recursive: true, force: true });
});

describe.each(['postgres', 'pglite'])('times on the database clock (%s)', (kind) => {
  /** How far `time` is from the database's now(), in milliseconds. */
  const offsetOf = async (time: ReturnType<typeof fromNow>) => {
    const db = handles[kind]?.db;
    if (!db) throw new Error(`no ${kind} database`);
    const [row] = await db
      .select({ ms: sql`(extract(epoch from (${time} - now())) * 1000)::float8`.mapWith(Number) })
      .from(sql`(values (1)) as one (x)`);
    return row?.ms;
  };

  it('fromNow and ago move now() by the given milliseconds', async () => {
    expect(await offsetOf(fromNow(1_500))).toBe(1_500);
    expect(await offsetOf(ago(250))).toBe(-250);
    expect(await offsetOf(fromNow(0))).toBe(0);
  });

  it('take windows longer than 2^31 ms (a 30-day retention)', async () => {
    expect(await offsetOf(ago(30 * DAY_MS))).toBe(-30 * DAY_MS);
    expect(await offsetOf(fromNow(400 * DAY_MS))).toBe(400 * DAY_MS);
  });
});
