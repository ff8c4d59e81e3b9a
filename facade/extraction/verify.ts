import { isDeepStrictEqual } from 'node:util';
import type { Database } from '../../src/platform/db/database.ts';
import type { CapabilityExtraction, ComparableRow, RowKey } from './capability.ts';

// extract:verify: reads both stores whole, maps each row to the compared shape (the legacy side
// through the ACL), and compares them by id, field by field. Rows are held in memory by id:
// fine for the stores this system has (a few hundred thousand rows); a larger one would merge
// two sorted streams instead.

export interface FieldMismatch {
  id: string;
  field: string;
  legacy: unknown;
  service: unknown;
}

/** Two ids holding the same unique value (payments: the same order), one on each side. */
export interface UniqueConflict {
  field: string;
  value: unknown;
  legacyId: string;
  serviceId: string;
}

export interface VerifyReport {
  capability: string;
  legacyRows: number;
  serviceRows: number;
  matches: number;
  /** Rows present on both sides that differ in at least one field. */
  mismatches: number;
  /** A few mismatching fields, for a human to start from. */
  mismatchExamples: FieldMismatch[];
  missingInService: { count: number; ids: string[] };
  missingInLegacy: { count: number; ids: string[] };
  conflicts: UniqueConflict[];
  /** True when nothing differs. */
  equal: boolean;
}

export interface VerifyOptions {
  extraction: CapabilityExtraction;
  legacyDb: Database;
  serviceDb: Database;
  batchSize?: number;
  /** How many mismatching fields and missing ids to name (default 10). */
  examples?: number;
}

async function readAll<Row>(
  read: (after: RowKey | undefined, limit: number) => Promise<Array<{ key: RowKey; row: Row }>>,
  toComparable: (row: Row) => ComparableRow,
  batchSize: number,
): Promise<Map<string, ComparableRow>> {
  const rows = new Map<string, ComparableRow>();
  let after: RowKey | undefined;
  for (;;) {
    const batch = await read(after, batchSize);
    for (const { row } of batch) {
      const comparable = toComparable(row);
      rows.set(comparable.id, comparable);
    }
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) return rows;
    after = last.key;
  }
}

/** Compares both stores of a capability; the report says every difference it found. */
export async function verifyCapability(options: VerifyOptions): Promise<VerifyReport> {
  const { extraction } = options;
  const batchSize = options.batchSize ?? 500;
  const examples = options.examples ?? 10;
  const [legacy, service] = await Promise.all([
    readAll(
      (after, limit) => extraction.readLegacy(options.legacyDb, after, limit),
      (row) => extraction.compareLegacy(row),
      batchSize,
    ),
    readAll(
      (after, limit) => extraction.readService(options.serviceDb, after, limit),
      (row) => extraction.compareService(row),
      batchSize,
    ),
  ]);

  let matches = 0;
  let mismatches = 0;
  const mismatchExamples: FieldMismatch[] = [];
  const missingInService: string[] = [];
  for (const [id, left] of legacy) {
    const right = service.get(id);
    if (!right) {
      missingInService.push(id);
      continue;
    }
    const fields = [...new Set([...Object.keys(left.fields), ...Object.keys(right.fields)])].sort();
    const differing = fields.filter(
      (field) => !isDeepStrictEqual(left.fields[field], right.fields[field]),
    );
    if (differing.length === 0) {
      matches += 1;
      continue;
    }
    mismatches += 1;
    for (const field of differing) {
      if (mismatchExamples.length < examples) {
        mismatchExamples.push({
          id,
          field,
          legacy: left.fields[field] ?? null,
          service: right.fields[field] ?? null,
        });
      }
    }
  }
  const missingInLegacy = [...service.keys()].filter((id) => !legacy.has(id));

  const conflicts: UniqueConflict[] = [];
  for (const field of extraction.uniqueFields ?? []) {
    const serviceOnlyByValue = new Map(
      missingInLegacy.map((id) => [service.get(id)?.fields[field], id] as const),
    );
    for (const id of missingInService) {
      const value = legacy.get(id)?.fields[field];
      const serviceId = serviceOnlyByValue.get(value);
      if (serviceId !== undefined) conflicts.push({ field, value, legacyId: id, serviceId });
    }
  }

  return {
    capability: extraction.name,
    legacyRows: legacy.size,
    serviceRows: service.size,
    matches,
    mismatches,
    mismatchExamples,
    missingInService: { count: missingInService.length, ids: missingInService.slice(0, examples) },
    missingInLegacy: { count: missingInLegacy.length, ids: missingInLegacy.slice(0, examples) },
    conflicts,
    equal: mismatches === 0 && missingInService.length === 0 && missingInLegacy.length === 0,
  };
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The report for a human: one summary line, then the examples. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [
    `${report.capability}: ${report.matches} match, ${report.mismatches} mismatch, ${report.missingInService.count} missing in the service, ${report.missingInLegacy.count} missing in legacy (legacy ${report.legacyRows} rows, service ${report.serviceRows})`,
  ];
  if (report.mismatchExamples.length > 0) {
    lines.push('mismatches:');
    for (const m of report.mismatchExamples) {
      lines.push(`  ${m.id} ${m.field}: legacy ${shown(m.legacy)}, service ${shown(m.service)}`);
    }
  }
  const more = (count: number, ids: string[]) =>
    count > ids.length ? ` (and ${count - ids.length} more)` : '';
  if (report.missingInService.count > 0) {
    const { count, ids } = report.missingInService;
    lines.push(`missing in the service: ${ids.join(', ')}${more(count, ids)}`);
  }
  if (report.missingInLegacy.count > 0) {
    const { count, ids } = report.missingInLegacy;
    lines.push(`missing in legacy: ${ids.join(', ')}${more(count, ids)}`);
  }
  for (const c of report.conflicts) {
    lines.push(
      `conflict: ${c.field} ${shown(c.value)} is legacy ${c.legacyId} and service ${c.serviceId}`,
    );
  }
  lines.push(report.equal ? 'both stores agree' : 'the stores differ');
  return `${lines.join('\n')}\n`;
}
