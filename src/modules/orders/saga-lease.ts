import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lt, or, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { beforeCommit } from '../../platform/db/commit-with.ts';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import { builtOnce } from '../../platform/db/prepared.ts';
import { fromNow } from '../../platform/db/sql-time.ts';
import { startHeartbeat } from '../../platform/resilience/heartbeat.ts';
import type { OrdersDeps } from './deps.ts';
import { checkoutSagas } from './schema.ts';

// Who drives a saga: one drive at a time, by lease (a token + expiry on the saga row). Every
// claim writes a fresh token, so a claim excludes every earlier driver, one in the same process
// included. A lease is renewed with every step written and by a heartbeat while a step runs,
// and lapses when its process dies; nothing holds a connection or a lock between steps, so this
// works on one PGlite connection as on a pool.

/** One drive's claim on a saga: the token names this drive, not only its process. */
export interface SagaLease {
  orderId: string;
  token: string;
}

/** Another driver claimed the saga (our lease lapsed): it finishes the work, we stop. */
export class LeaseLost extends Error {}

/** A token for a new claim: the process's name, so an operator can tell who holds it, and a uuid. */
export const newLeaseToken = (deps: OrdersDeps) => `${deps.saga.owner}:${randomUUID()}`;

/** Rows of the saga whose lease is `lease` (another claim since has another token). */
export const heldBy = (lease: SagaLease) =>
  and(eq(checkoutSagas.orderId, lease.orderId), eq(checkoutSagas.leaseOwner, lease.token));

/** The values of every statement under a lease: whose lease, and how long a renewal lasts. */
type LeaseValues = {
  orderId: string;
  token: string;
  leaseMs: number;
};

const leaseValues = (deps: OrdersDeps, lease: SagaLease): LeaseValues => ({
  orderId: lease.orderId,
  token: lease.token,
  leaseMs: Math.round(deps.saga.leaseMs),
});

/**
 * Renews the lease on the saga (applying `changes` to its row too); returns the saga's id only
 * if the lease is still ours. Its values are LeaseValues' placeholders.
 */
function renewal(db: Executor, changes: PgUpdateSetSource<typeof checkoutSagas> = {}) {
  return db
    .update(checkoutSagas)
    .set({ ...changes, leaseExpiresAt: fromNow(sql.placeholder('leaseMs')), updatedAt: sql`now()` })
    .where(
      and(
        eq(checkoutSagas.orderId, sql.placeholder('orderId')),
        eq(checkoutSagas.leaseOwner, sql.placeholder('token')),
      ),
    )
    .returning({ orderId: checkoutSagas.orderId });
}

/** Every step renews the lease: built once. */
const renewLease = builtOnce<LeaseValues>()((db) => renewal(db));

const leaseLost = (lease: SagaLease) =>
  new LeaseLost(`the saga of order ${lease.orderId} is driven by another driver`);

/** Renews the lease on its own; LeaseLost when it is no longer ours. */
export async function confirmLease(deps: OrdersDeps, lease: SagaLease): Promise<void> {
  if ((await renewLease(deps.db, leaseValues(deps, lease))).length === 0) throw leaseLost(lease);
}

/**
 * Keeps a live driver's lease from lapsing while a step takes longer than the lease (a slow
 * provider): renews it every third of `leaseMs` until stopped. A failed renewal is only
 * logged: the next write under the lease tells a lost lease for certain.
 */
export function keepLeaseAlive(deps: OrdersDeps, lease: SagaLease): { stop(): Promise<void> } {
  return startHeartbeat(
    deps.saga.leaseMs / 3,
    () => renewLease(deps.db, leaseValues(deps, lease)),
    (error) =>
      deps.logger.warn({ err: error, orderId: lease.orderId }, 'saga lease renewal failed'),
  );
}

/**
 * Writes that renew our lease and, only if it is still ours, apply `writes`, all in ONE
 * statement: the writes are data-modifying CTEs, which like a transaction apply all or nothing,
 * at one round trip and without BEGIN/COMMIT. Each write must put `held` in its WHERE; the
 * saga's order id is the placeholder `orderId`. Changes to the saga row itself go in `saga`
 * (one statement may not update a row twice). Built once: the answer runs it with `values`,
 * and throws LeaseLost (nothing written) when the lease is gone.
 */
export function writesUnderLease<V extends Record<string, unknown> = Record<never, never>>(
  writes: (db: Executor, held: SQL) => SQLWrapper[],
  saga?: PgUpdateSetSource<typeof checkoutSagas>,
): (deps: OrdersDeps, lease: SagaLease, values: V) => Promise<void> {
  const statement = builtOnce<V & LeaseValues>()((db) => {
    const renewed = db.$with('lease').as(renewal(db, saga));
    const held = sql`exists (select 1 from ${sql.identifier('lease')})`;
    const ctes = writes(db, held).map((write, i) => db.$with(`write_${i}`, {}).as(write.getSQL()));
    return db
      .with(renewed, ...ctes)
      .select({ orderId: renewed.orderId })
      .from(renewed);
  });
  return async (deps, lease, values) => {
    const renewed = await statement(deps.db, { ...values, ...leaseValues(deps, lease) });
    if (renewed.length === 0) throw leaseLost(lease);
  };
}

/**
 * Runs `work` in a transaction that also renews our lease; LeaseLost (and nothing written) if the
 * lease is no longer ours. The renewal goes out with the work's first statements rather than a
 * round trip ahead of them: a lost lease rolls the work back all the same.
 */
export async function withLease<T>(
  deps: OrdersDeps,
  lease: SagaLease,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return deps.db.transaction(async (tx) => {
    const renewal = renewLease(tx, leaseValues(deps, lease));
    // Looked at once the work is done; until then a failure must not count as unhandled.
    renewal.catch(() => {});
    const assertHeld = async () => {
      if ((await renewal).length === 0) throw leaseLost(lease);
    };
    // A COMMIT the work sends behind its last statements (commitWith) waits for it too.
    beforeCommit(tx, assertHeld);
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
 * Not one of the sagas this process is driving right now (nor one of `except`): should a live
 * drive's lease lapse all the same, this process does not start a second one. An array literal
 * keeps the statement's text (and its prepared plan) the same whatever the count.
 */
const notDrivenHere = (deps: OrdersDeps, except: Iterable<string>) =>
  sql`${checkoutSagas.orderId} <> all(${`{${[...deps.driving, ...except].join(',')}}`}::uuid[])`;

/**
 * Takes the lease on up to `limit` unfinished sagas nobody holds (or whose holder's lease
 * lapsed: it crashed), each with a fresh token, leaving out the order ids in `except`. SKIP
 * LOCKED lets several processes claim at once without waiting on, or taking, each other's sagas.
 */
export async function claimSagas(
  deps: OrdersDeps,
  { limit, orderId, except = [] }: { limit: number; orderId?: string; except?: Iterable<string> },
): Promise<SagaLease[]> {
  const candidates = deps.db
    .select({ orderId: checkoutSagas.orderId })
    .from(checkoutSagas)
    .where(
      and(
        isNull(checkoutSagas.finishedAt),
        leaseFree,
        notDrivenHere(deps, except),
        orderId ? eq(checkoutSagas.orderId, orderId) : undefined,
      ),
    )
    .orderBy(asc(checkoutSagas.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const claimed = await deps.db
    .update(checkoutSagas)
    .set({
      leaseOwner: sql`${deps.saga.owner} || ':' || gen_random_uuid()::text`,
      leaseExpiresAt: fromNow(deps.saga.leaseMs),
      attempts: sql`${checkoutSagas.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(inArray(checkoutSagas.orderId, candidates))
    .returning({ orderId: checkoutSagas.orderId, token: checkoutSagas.leaseOwner });
  return claimed.map(({ orderId, token }) => {
    if (!token) throw new Error(`the claim on the saga of order ${orderId} wrote no token`);
    return { orderId, token };
  });
}

/**
 * Turns a completed saga back towards compensation, to cancel a confirmed order; undefined when
 * the saga is not completed or someone else holds it.
 */
export async function reopenForCancellation(
  deps: OrdersDeps,
  orderId: string,
  reason: string,
  cause: string,
): Promise<SagaLease | undefined> {
  const token = newLeaseToken(deps);
  const reopened = await deps.db
    .update(checkoutSagas)
    .set({
      state: 'compensating',
      failure: reason,
      failureCause: cause,
      finishedAt: null,
      leaseOwner: token,
      leaseExpiresAt: fromNow(deps.saga.leaseMs),
      attempts: sql`${checkoutSagas.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.state, 'completed'), leaseFree))
    .returning({ orderId: checkoutSagas.orderId });
  return reopened.length > 0 ? { orderId, token } : undefined;
}

export async function isSagaFinished(deps: OrdersDeps, orderId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ finishedAt: checkoutSagas.finishedAt })
    .from(checkoutSagas)
    .where(eq(checkoutSagas.orderId, orderId));
  return row?.finishedAt != null;
}
