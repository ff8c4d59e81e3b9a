import type { PGlite } from '@electric-sql/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { postgresErrorCode } from './errors.ts';

// drizzle's migrator applies every migration of the folder made after the newest one the
// database records (drizzle-orm/pg-core/dialect.js, `migrate`). Before it looks, it creates its
// schema and table if they are missing, and then opens a transaction, on every start: ~60 ms a
// database on a cold PGlite. One query tells whether there is anything for it to do.

const UNDEFINED_TABLE = '42P01';

/** Whether `folder` holds a migration the database has not applied, by drizzle's own rule. */
export async function hasPendingMigrations(
  client: Pick<PGlite, 'query'>,
  folder: string,
): Promise<boolean> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  if (migrations.length === 0) return false;
  const newest = Math.max(...migrations.map((migration) => migration.folderMillis));
  try {
    const { rows } = await client.query<{ applied: boolean }>(
      'select exists (select from drizzle.__drizzle_migrations where created_at >= $1) as applied',
      [newest],
    );
    return !rows[0]?.applied;
  } catch (error) {
    // A database never migrated has no table yet.
    if (postgresErrorCode(error) === UNDEFINED_TABLE) return true;
    throw error;
  }
}
