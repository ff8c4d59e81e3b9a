import { and, asc, eq, inArray, isNull, lt, or, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import type { OrdersDeps } from './deps.ts';
import { checkoutSagas } from './schema.ts';

// Who drives a saga: one process at a time, by lease (owner + expiry on the saga row). A lease
// is renewed with every step written and lapses when its process dies; nothing holds a
// connection or a lock between steps, so this works on one PGlite connection as on a pool.

/** Another process claimed the saga (our lease lapsed): it finishes the work, we stop. */
export class LeaseLost extends Error {}

/** A timestamp `ms` from now, on the database's clock (every process shares that one). */
export const inMs = (ms: number): SQL => sql`now() + (${ms}::integer * interval '1 millisecond')`;

type SagaChanges = Partial<typeof checkoutSagas.$inferInsert>;

/**
 * Renews our lease on the saga (applying `changes` to its row too); returns the saga's id only
 * if the lease is still ours.
 */
function renewLease(
  deps: OrdersDeps,
  orderId: string,
  db: Executor = deps.db,
  changes: SagaChanges = {},
) {
  return db
    .update(checkoutSagas)
    .set({ ...changes, leaseExpiresAt: inMs(deps.saga.leaseMs), updatedAt: sql`now()` })
    .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.leaseOwner, deps.saga.owner)))
    .returning({ orderId: checkoutSagas.orderId });
}

const leaseLost = (orderId: string) =>
  new LeaseLost(`the saga of order ${orderId} is driven by another process`);

/**
 * Renews our lease and, only if it is still ours, applies `writes`, all in ONE statement: the
 * writes are data-modifying CTEs, which like a transaction apply all or nothing, at one round
 * trip and without BEGIN/COMMIT. Each write must put `held` in its WHERE. Changes to the saga
 * row itself go in `saga` (one statement may not update a row twice). LeaseLost (and nothing
 * written) when the lease is gone.
 */
export async function writeUnderLease(
  deps: OrdersDeps,
  orderId: string,
  writes: (held: SQL) => SQLWrapper[],
  saga?: SagaChanges,
): Promise<void> {
  const { db } = deps;
  const lease = db.$with('lease').as(renewLease(deps, orderId, deps.db, saga));
  const held = sql`exists (select 1 from ${sql.identifier('lease')})`;
  const ctes = writes(held).map((write, i) => db.$with(`write_${i}`, {}).as(write.getSQL()));
  const renewed = await db
    .with(lease, ...ctes)
    .select({ orderId: lease.orderId })
    .from(lease);
  if (renewed.length === 0) throw leaseLost(orderId);
}

/**
 * Runs `work` in a transaction that also renews our lease; LeaseLost (and nothing written) if the
 * lease is no longer ours. The renewal goes out with the work's first statements rather than a
 * round trip ahead of them: a lost lease rolls the work back all the same.
 */
export async function withLease<T>(
  deps: OrdersDeps,
  orderId: string,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return deps.db.transaction(async (tx) => {
    const renewal = renewLease(deps, orderId, tx).execute();
    // Looked at once the work is done; until then a failure must not count as unhandled.
    renewal.catch(() => {});
    const assertHeld = async () => {
      if ((await renewal).length === 0) throw leaseLost(orderId);
    };
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      // Another process's takeover explains the failure better than the failure itself.
      await assertHeld();
      throw error;
    }
    await assertHeld();
    return result;
  });
}

const leaseFree = or(
  isNull(checkoutSagas.leaseExpiresAt),
  lt(checkoutSagas.leaseExpiresAt, sql`now()`),
);

/**
 * Takes the lease on up to `limit` unfinished sagas nobody holds (or whose holder's lease
 * lapsed: it crashed). SKIP LOCKED lets several processes claim at once without waiting on, or
 * taking, each other's sagas.
 */
export async function claimSagas(
  deps: OrdersDeps,
  { limit, orderId }: { limit: number; orderId?: string },
): Promise<string[]> {
  const candidates = deps.db
    .select({ orderId: checkoutSagas.orderId })
    .from(checkoutSagas)
    .where(
      and(
        isNull(checkoutSagas.finishedAt),
        leaseFree,
        orderId ? eq(checkoutSagas.orderId, orderId) : undefined,
      ),
    )
    .orderBy(asc(checkoutSagas.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const claimed = await deps.db
    .update(checkoutSagas)
    .set({
      leaseOwner: deps.saga.owner,
      leaseExpiresAt: inMs(deps.saga.leaseMs),
      attempts: sql`${checkoutSagas.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(inArray(checkoutSagas.orderId, candidates))
    .returning({ orderId: checkoutSagas.orderId });
  return claimed.map((row) => row.orderId);
}

/**
 * Turns a completed saga back towards compensation, to cancel a confirmed order; false when
 * the saga is not completed or someone else holds it.
 */
export async function reopenForCancellation(
  deps: OrdersDeps,
  orderId: string,
  reason: string,
  cause: string,
): Promise<boolean> {
  const reopened = await deps.db
    .update(checkoutSagas)
    .set({
      state: 'compensating',
      failure: reason,
      failureCause: cause,
      finishedAt: null,
      leaseOwner: deps.saga.owner,
      leaseExpiresAt: inMs(deps.saga.leaseMs),
      attempts: sql`${checkoutSagas.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.state, 'completed'), leaseFree))
    .returning({ orderId: checkoutSagas.orderId });
  return reopened.length > 0;
}

export async function isSagaFinished(deps: OrdersDeps, orderId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ finishedAt: checkoutSagas.finishedAt })
    .from(checkoutSagas)
    .where(eq(checkoutSagas.orderId, orderId));
  return row?.finishedAt != null;
}
