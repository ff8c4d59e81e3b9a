import { z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../../src/platform/db/database.ts';
import type { VerifyReport } from '../extraction/verify.ts';
import { verifyReports } from '../schema.ts';

// Where the parity gate learns whether a capability's two stores agree: the newest recorded
// extract:verify run (compose: the command writes it to the facade's database), or a run on
// demand where one process reaches every database (the single-process run), recorded too.

/** One extract:verify run as the gate reads it. */
export const verifyResultSchema = z
  .object({
    capability: z.string(),
    equal: z.boolean(),
    legacyRows: z.number().int().min(0),
    serviceRows: z.number().int().min(0),
    mismatches: z.number().int().min(0),
    missingInService: z.number().int().min(0),
    missingInLegacy: z.number().int().min(0),
    conflicts: z.number().int().min(0),
    checkedAt: z.iso.datetime(),
  })
  .openapi('VerifyResult');
export type VerifyResult = z.infer<typeof verifyResultSchema>;

export interface VerifySource {
  /** The newest run for the capability, or undefined when it was never verified. */
  latest(capability: string): Promise<VerifyResult | undefined>;
}

const toResult = (row: typeof verifyReports.$inferSelect): VerifyResult => ({
  capability: row.capability,
  equal: row.equal,
  legacyRows: row.legacyRows,
  serviceRows: row.serviceRows,
  mismatches: row.mismatches,
  missingInService: row.missingInService,
  missingInLegacy: row.missingInLegacy,
  conflicts: row.conflicts,
  checkedAt: row.checkedAt.toISOString(),
});

/** Records one run in the facade's database; answers it as the gate will read it. */
export async function recordVerifyReport(
  db: Database,
  report: VerifyReport,
): Promise<VerifyResult> {
  const [row] = await db
    .insert(verifyReports)
    .values({
      capability: report.capability,
      // A conflict is two misses of one entity: the stores do not agree either way.
      equal: report.equal && report.conflicts.length === 0,
      legacyRows: report.legacyRows,
      serviceRows: report.serviceRows,
      mismatches: report.mismatches,
      missingInService: report.missingInService.count,
      missingInLegacy: report.missingInLegacy.count,
      conflicts: report.conflicts.length,
    })
    .returning();
  if (!row) throw new Error('verify report row missing');
  return toResult(row);
}

/** The newest recorded run per capability. */
export function recordedVerify(db: Database): VerifySource {
  return {
    async latest(capability) {
      const [row] = await db
        .select()
        .from(verifyReports)
        .where(eq(verifyReports.capability, capability))
        .orderBy(desc(verifyReports.checkedAt), desc(verifyReports.id))
        .limit(1);
      return row && toResult(row);
    },
  };
}

export interface LiveVerifyOptions {
  /** Runs extract:verify for a capability (the stores must be reachable from this process). */
  run(capability: string): Promise<VerifyReport>;
  /** Where each run is recorded, so the journal's reader and other replicas see it. */
  db: Database;
  /** A run this young is answered again instead of reading both stores once more. */
  cacheMs?: number;
  now?: () => number;
}

/** Runs extract:verify when asked (at most once per `cacheMs` per capability) and records it. */
export function liveVerify(options: LiveVerifyOptions): VerifySource {
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? (() => performance.now());
  const recent = new Map<string, { at: number; result: Promise<VerifyResult> }>();
  return {
    latest(capability) {
      const cached = recent.get(capability);
      if (cached && now() - cached.at < cacheMs) return cached.result;
      const result = options
        .run(capability)
        .then((report) => recordVerifyReport(options.db, report));
      recent.set(capability, { at: now(), result });
      // A failed run is not kept: the next ask tries again.
      result.catch(() => {
        if (recent.get(capability)?.result === result) recent.delete(capability);
      });
      return result;
    },
  };
}
