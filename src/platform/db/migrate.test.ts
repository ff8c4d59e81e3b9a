import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/services.ts';
import { openDatabase } from './database.ts';
import { migratePostgres } from './migrate.ts';

// Any component's migrations will do; the monolith's are the longest stream.
const MONOLITH_MIGRATIONS = fileURLToPath(new URL('../../../migrations', import.meta.url));

const migrationCount = readdirSync(MONOLITH_MIGRATIONS).filter((f) => f.endsWith('.sql')).length;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function appliedMigrations(database: TestDatabase): Promise<number> {
  const client = postgres(database.url, { max: 1, onnotice: () => {} });
  const [row] = await client`select count(*)::int as n from drizzle.__drizzle_migrations`;
  await client.end();
  return row?.n as number;
}

describe('migrations', () => {
  it('apply once when two processes migrate the same PostgreSQL database at the same moment', async () => {
    const database = await createTestDatabase('migrate_race');
    cleanups.push(database.drop);
    // Separate connections, as two starting replicas would have.
    await Promise.all([
      migratePostgres(database.url, MONOLITH_MIGRATIONS),
      migratePostgres(database.url, MONOLITH_MIGRATIONS),
      migratePostgres(database.url, MONOLITH_MIGRATIONS),
    ]);
    expect(await appliedMigrations(database)).toBe(migrationCount);
    await migratePostgres(database.url, MONOLITH_MIGRATIONS);
    expect(await appliedMigrations(database)).toBe(migrationCount);
  });

  it('apply on embedded PGlite, and a second start with the same data directory reuses it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pglite-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await openDatabase({ dataDir, name: 'monolith' });
    expect(first.kind).toBe('pglite');
    await first.migrate(MONOLITH_MIGRATIONS);
    await first.close();
    const second = await openDatabase({ dataDir, name: 'monolith' });
    await second.migrate(MONOLITH_MIGRATIONS);
    await second.ping();
    await second.close();
  });
});
