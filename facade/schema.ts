import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { DiffSample } from './parity/diff-sample.ts';
import { modes as routeModes } from './routes/modes.ts';
import type { Figures } from './toggles/figures.ts';

/**
 * The facade's own database: route toggles, their journal, what each replica applies, and each
 * replica's shadow parity.
 */
export const facade = pgSchema('facade');

/**
 * The toggles' global version, one row: every change takes it up by one under its row lock, so
 * changes are serialised and numbered without a gap.
 */
export const toggleVersion = facade.table(
  'toggle_version',
  {
    id: smallint('id').primaryKey().default(1),
    version: integer('version').notNull(),
  },
  (t) => [check('toggle_version_single_row', sql`${t.id} = 1`)],
);

/** A route that was ever changed; a route without a row is in its route table's mode. */
export const routeToggles = facade.table(
  'route_toggles',
  {
    routeId: text('route_id').primaryKey(),
    mode: text('mode', { enum: routeModes }).notNull(),
    /** The share of users the new side serves in `canary`, 0–100. */
    percentage: integer('percentage').notNull(),
    /** The global version of the change that set it. */
    version: integer('version').notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
    /** An admin's user id, or the facade itself (an automatic step back). */
    changedBy: text('changed_by').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [
    check('route_toggles_percentage_range', sql`${t.percentage} between 0 and 100`),
    check(
      'route_toggles_mode_known',
      sql`${t.mode} in ('monolith', 'shadow', 'canary', 'extracted', 'retired')`,
    ),
  ],
);

export const journalKinds = ['change', 'rollback'] as const;

/** One row per change, never updated: who, when, from, to, why, and the figures then. */
export const toggleJournal = facade.table(
  'toggle_journal',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    routeId: text('route_id').notNull(),
    /** The global version this change produced (unique: one change per version). */
    version: integer('version').notNull().unique('toggle_journal_version_key'),
    kind: text('kind', { enum: journalKinds }).notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
    changedBy: text('changed_by').notNull(),
    fromMode: text('from_mode', { enum: routeModes }).notNull(),
    fromPercentage: integer('from_percentage').notNull(),
    toMode: text('to_mode', { enum: routeModes }).notNull(),
    toPercentage: integer('to_percentage').notNull(),
    reason: text('reason').notNull(),
    /** Moved past the parity gate's refusal, on the admin's word. */
    forced: boolean('forced').notNull().default(false),
    /** Parity, error rates and latency at that moment, as the caller measured them. */
    figures: jsonb('figures').$type<Figures>().notNull(),
  },
  (t) => [index('toggle_journal_route_idx').on(t.routeId, t.version.desc())],
);

/** Each facade replica's applied version, so lagging replicas show. */
export const toggleReplicas = facade.table('toggle_replicas', {
  replicaId: text('replica_id').primaryKey(),
  appliedVersion: integer('applied_version').notNull(),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Each extract:verify run's outcome per capability: the parity gate reads the newest. */
export const verifyReports = facade.table(
  'verify_reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    capability: text('capability').notNull(),
    /** Nothing differs: no mismatch, no row missing on either side. */
    equal: boolean('equal').notNull(),
    legacyRows: integer('legacy_rows').notNull(),
    serviceRows: integer('service_rows').notNull(),
    mismatches: integer('mismatches').notNull(),
    missingInService: integer('missing_in_service').notNull(),
    missingInLegacy: integer('missing_in_legacy').notNull(),
    conflicts: integer('conflicts').notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('verify_reports_capability_idx').on(t.capability, t.checkedAt.desc())],
);

/**
 * One replica's shadow parity of one route, since the toggle version at which the route last
 * entered `shadow`; only that replica writes its row. The route's figures are the sum of its
 * rows with the current since_version; noise is kept across versions (it is legacy's).
 */
export const routeParity = facade.table(
  'route_parity',
  {
    routeId: text('route_id').notNull(),
    replicaId: text('replica_id').notNull(),
    sinceVersion: integer('since_version').notNull(),
    samples: bigint('samples', { mode: 'number' }).notNull(),
    matches: bigint('matches', { mode: 'number' }).notNull(),
    mirrorErrors: bigint('mirror_errors', { mode: 'number' }).notNull(),
    /** Mirrors not sent, by reason. */
    drops: jsonb('drops').$type<Record<string, number>>().notNull(),
    /** Field paths (indexes generalised) that differ between two legacy answers. */
    noise: text('noise').array().notNull(),
    /** The last diff samples, oldest first. */
    diffs: jsonb('diffs').$type<DiffSample[]>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.routeId, t.replicaId] })],
);
