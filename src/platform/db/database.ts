import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ExtractTablesWithRelations, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createPGlite } from './create-pglite.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { migratePostgres } from './migrate.ts';
import { hasPendingMigrations } from './pending-migrations.ts';
import { type DatabaseActivity, drizzleClient } from './postgres-client.ts';

/** The one database type modules see; PGlite and PostgreSQL both satisfy it. */
export type Database = PgDatabase<PgQueryResultHKT>;
export type Transaction = PgTransaction<
  PgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;
/** Anything that runs queries: the database itself or an open transaction. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Where it lives, without credentials, for logs. */
  location: string;
  ping(): Promise<void>;
  /** Statements and transactions sent so far (on PostgreSQL; PGlite's stay 0). */
  activity: DatabaseActivity;
  /** Applies pending migrations; safe to run twice and from two processes at once. */
  migrate(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; without it an embedded PGlite database is used. */
  url?: string | undefined;
  /** Folder holding one PGlite data directory per database name. */
  dataDir: string;
  /** The PGlite directory name (e.g. `monolith`). */
  name: string;
  poolSize?: number;
  timeouts?: DatabaseTimeouts;
}

/** Every wait on PostgreSQL is bounded by these (see README, "What survives which fault"). */
export interface DatabaseTimeouts {
  /** The server cancels a statement (or a lock wait) that runs longer. */
  statementMs: number;
  /** How long opening a connection may take. */
  connectMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { statementMs: 5_000, connectMs: 5_000 };

/**
 * Reconnect delay in seconds. postgres.js counts failed connections across the whole pool, so
 * one outage that drops ten connections counts ten: the delay is spread at random up to a cap
 * of 1 s, so a database that comes back is used again within a second (postgres.js's default
 * grows to 20 s) without every connection knocking at once.
 */
const reconnectBackoff = (retries: number) => Math.random() * Math.min(0.1 * retries, 1);

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { url } = options;
  if (url) {
    const timeouts = options.timeouts ?? DEFAULT_DATABASE_TIMEOUTS;
    const client = postgres(url, {
      max: options.poolSize ?? 10,
      onnotice: () => {},
      connect_timeout: Math.ceil(timeouts.connectMs / 1000),
      backoff: reconnectBackoff,
      connection: {
        application_name: options.name,
        // The server ends what the client can no longer bound: a statement or lock wait that
        // runs on, and a transaction whose client went silent (its locks go with it).
        statement_timeout: timeouts.statementMs,
        lock_timeout: timeouts.statementMs,
        idle_in_transaction_session_timeout: timeouts.statementMs * 2,
      },
    });
    // A statement may first wait for a connection, then run: both bounds, and a little more.
    const statementDeadlineMs = timeouts.connectMs + timeouts.statementMs + 1_000;
    const activity: DatabaseActivity = { statements: 0, transactions: 0 };
    const db = drizzlePostgres({
      client: drizzleClient(client, { statementDeadlineMs, activity }),
    });
    const parsed = new URL(url);
    return {
      db,
      kind: 'postgres',
      location: `${parsed.host}${parsed.pathname}`,
      activity,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      migrate: (folder) => migratePostgres(url, folder),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const directory = join(options.dataDir, options.name);
  mkdirSync(directory, { recursive: true });
  const lock = lockDataDir(directory);
  const client = await createPGlite(directory).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const db = drizzlePglite({ client });
  return {
    db,
    kind: 'pglite',
    location: directory,
    activity: { statements: 0, transactions: 0 },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    // PGlite is one process's private database, so no lock is needed around the migrator.
    migrate: async (folder) => {
      if (await hasPendingMigrations(client, folder)) {
        await migratePglite(db, { migrationsFolder: folder });
      }
    },
    close: async () => {
      await client.close();
      lock.release();
    },
  };
}
