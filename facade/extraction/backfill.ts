import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../src/platform/db/database.ts';
import { extractionCheckpoints } from '../../src/platform/extraction/schema.ts';
import type { CapabilityExtraction, RowKey } from './capability.ts';
import type { Progress } from './progress.ts';

// extract:backfill: copies a capability's legacy rows into its service, in (created_at, id)
// order, a batch at a time. Each batch's copies and the checkpoint (in the service's database)
// commit in one transaction, so a run killed at any point resumes after the last batch that
// committed and counts no row twice; the copy itself is an upsert guarded by the version, so
// running it again changes nothing. Throttled to `rate` rows per second.

export interface BackfillOptions {
  extraction: CapabilityExtraction;
  legacyDb: Database;
  serviceDb: Database;
  /** Rows per second at most (default 500). */
  rate?: number;
  /** Rows per batch (default: the rate's tenth of a second, 10 to 200). */
  batchSize?: number;
  progress?: Progress;
  /** Called with each row that conflicted (another service row holds a unique field). */
  onConflict?(key: RowKey): void;
}

export interface BackfillCounts {
  copied: number;
  unchanged: number;
  /** Rows not written: another service row holds one of their unique fields. */
  conflicts: number;
  /** Rows read in this pass (copied + unchanged + conflicts). */
  total: number;
  /** True when the run carried on from the checkpoint a killed run left. */
  resumed: boolean;
}

export const DEFAULT_BACKFILL_RATE = 500;

export async function runBackfill(options: BackfillOptions): Promise<BackfillCounts> {
  const { extraction, legacyDb, serviceDb, progress } = options;
  const rate = options.rate ?? DEFAULT_BACKFILL_RATE;
  const batchSize = options.batchSize ?? Math.min(200, Math.max(10, Math.round(rate / 10)));
  const checkpoint = await readCheckpoint(serviceDb, extraction.name);
  // A finished pass leaves its checkpoint completed: the next run is a fresh pass.
  const resumed = checkpoint !== undefined && checkpoint.completedAt === null;
  const counts = {
    copied: resumed ? checkpoint.copied : 0,
    unchanged: resumed ? checkpoint.unchanged : 0,
    conflicts: resumed ? checkpoint.conflicts : 0,
  };
  let after: RowKey | undefined = resumed
    ? { createdAt: checkpoint.lastCreatedAt, id: checkpoint.lastId }
    : undefined;
  const total = await extraction.countLegacy?.(legacyDb);
  const done = () => counts.copied + counts.unchanged + counts.conflicts;
  const started = performance.now();
  const doneAtStart = done();
  progress?.update(done(), total);

  for (;;) {
    const batch = await extraction.readLegacy(legacyDb, after, batchSize);
    const last = batch.at(-1);
    if (!last) break;
    const conflicted: RowKey[] = [];
    const batchCounts = { copied: 0, unchanged: 0, conflict: 0 };
    await serviceDb.transaction(async (tx) => {
      for (const { key, row } of batch) {
        const outcome = await extraction.copyToService(tx, row);
        batchCounts[outcome] += 1;
        if (outcome === 'conflict') conflicted.push(key);
      }
      const state = {
        lastCreatedAt: last.key.createdAt,
        lastId: last.key.id,
        copied: counts.copied + batchCounts.copied,
        unchanged: counts.unchanged + batchCounts.unchanged,
        conflicts: counts.conflicts + batchCounts.conflict,
        completedAt: null,
        updatedAt: sql`now()`,
      };
      await tx
        .insert(extractionCheckpoints)
        .values({ capability: extraction.name, ...state })
        .onConflictDoUpdate({ target: extractionCheckpoints.capability, set: state });
    });
    counts.copied += batchCounts.copied;
    counts.unchanged += batchCounts.unchanged;
    counts.conflicts += batchCounts.conflict;
    for (const key of conflicted) options.onConflict?.(key);
    after = last.key;
    progress?.update(done(), total);
    // The throttle: this run's rows so far may not have taken less than rows / rate.
    const ahead = ((done() - doneAtStart) * 1000) / rate - (performance.now() - started);
    if (ahead > 0) await sleep(ahead);
  }

  await serviceDb
    .update(extractionCheckpoints)
    .set({ completedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(extractionCheckpoints.capability, extraction.name));
  progress?.finish(done(), total);
  return { ...counts, total: done(), resumed };
}

async function readCheckpoint(db: Database, capability: string) {
  const [row] = await db
    .select()
    .from(extractionCheckpoints)
    .where(eq(extractionCheckpoints.capability, capability));
  return row;
}
