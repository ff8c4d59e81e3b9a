import type { Database, Executor } from '../../src/platform/db/database.ts';

// What moving one capability's data between the legacy module and its extracted service takes:
// reading both stores in a stable order, copying a legacy row into the service (the backfill),
// and seeing both rows in one shape (through the ACL) so they can be compared (the verifier).

/** Where a batch read resumes: rows are read in (createdAt, id) order. */
export interface RowKey {
  createdAt: string;
  id: string;
}

/** One entity as both stores are compared: its id and the fields that must agree. */
export interface ComparableRow {
  id: string;
  fields: Record<string, unknown>;
}

export interface CapabilityExtraction<LegacyRow = unknown, ServiceRow = unknown> {
  /** `users` or `payments`: the argument of extract:backfill and extract:verify. */
  name: string;
  /** Legacy rows after `after` (or from the start), in (createdAt, id) order, at most `limit`. */
  readLegacy(
    db: Database,
    after: RowKey | undefined,
    limit: number,
  ): Promise<Array<{ key: RowKey; row: LegacyRow }>>;
  /** The same for the service's store. */
  readService(
    db: Database,
    after: RowKey | undefined,
    limit: number,
  ): Promise<Array<{ key: RowKey; row: ServiceRow }>>;
  /**
   * Writes the legacy row into the service's store, keyed by its id and guarded by its version:
   * `copied` when the service's row was missing or older, `unchanged` when it was as new or
   * newer. Idempotent: copying the same row twice copies it once. `conflict` when another
   * service row holds one of the row's unique fields (see uniqueFields): nothing is written.
   * `db` may be a transaction (the backfill commits a batch with its checkpoint).
   */
  copyToService(db: Executor, row: LegacyRow): Promise<'copied' | 'unchanged' | 'conflict'>;
  /** How many legacy rows readLegacy reads in all: the backfill's total (for its progress). */
  countLegacy?(db: Database): Promise<number>;
  /**
   * Compared fields that are unique in both stores (payments: `order_ref`): a row missing on one
   * side whose value another id holds on the other is reported as a conflict, not two misses.
   */
  uniqueFields?: string[];
  /** The legacy row in the compared shape (the ACL's mapping to the service's vocabulary). */
  compareLegacy(row: LegacyRow): ComparableRow;
  compareService(row: ServiceRow): ComparableRow;
}
