import { integer, text, timestamp } from 'drizzle-orm/pg-core';
import { platform } from '../bus/schema.ts';

/**
 * Where a backfill into this database stands, one row per capability: the key of the last row
 * copied (rows are read in (created_at, id) order) and the counts so far. Written in the same
 * transaction as each batch's copies, so a run killed at any point resumes after the last batch
 * that committed, and no row is counted twice.
 */
export const extractionCheckpoints = platform.table('extraction_checkpoints', {
  capability: text('capability').primaryKey(),
  /** The last copied row's created_at, as Postgres printed it (microseconds kept). */
  lastCreatedAt: text('last_created_at').notNull(),
  lastId: text('last_id').notNull(),
  copied: integer('copied').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  conflicts: integer('conflicts').notNull().default(0),
  /** Set when a pass read the last row: the next run starts a fresh pass from the first. */
  completedAt: timestamp('completed_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
