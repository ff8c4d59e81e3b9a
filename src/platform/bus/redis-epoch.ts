import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, isNotNull, lte, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.ts';
import { deliverySettled } from './delivery-log.ts';
import { busEpochs, outbox } from './schema.ts';

export const epochKey = (prefix: string) => `${prefix}:bus:epoch`;

/**
 * Outbox rows one re-open statement goes through at most: about 50 ms of work on the 2-core
 * test machine with four subscribers per event, far inside DATABASE_STATEMENT_TIMEOUT_MS.
 */
export const REOPEN_BATCH = 5_000;

/**
 * The epoch Redis holds under `prefix`. A Redis without one (new, or back without its data)
 * gets a fresh random one; SET NX makes every process adopt the same.
 */
export async function readRedisEpoch(redis: Redis, prefix: string): Promise<string> {
  const key = epochKey(prefix);
  const current = await redis.get(key);
  if (current) return current;
  await redis.set(key, randomUUID(), 'NX');
  const created = await redis.get(key);
  if (!created) throw new Error(`${key} vanished as it was set`);
  return created;
}

export interface AdoptedEpoch {
  /** The epoch PostgreSQL knew before, when `epoch` replaced it: Redis lost its data. */
  replaced: string | undefined;
  /** The events lost with an earlier epoch are still being re-opened (see reopenLostEvents). */
  reopening: boolean;
}

/**
 * Makes `epoch` the epoch PostgreSQL knows for `prefix`. If it replaces another one (or none),
 * Redis lost its data, and with it the jobs of the events handed over before: the new epoch is
 * committed with a "re-open under way" marker, and reopenLostEvents then re-opens those events
 * in bounded batches. The lock on the epoch row orders this against every relay's mark (see
 * markDispatched): a mark under the old epoch either commits before, so the re-open sees its
 * rows, or fails.
 */
export async function adoptRedisEpoch(
  db: Database,
  prefix: string,
  epoch: string,
): Promise<AdoptedEpoch> {
  return db.transaction(async (tx) => {
    const [known] = await tx
      .select()
      .from(busEpochs)
      .where(eq(busEpochs.prefix, prefix))
      .for('update');
    if (known?.epoch === epoch) return { replaced: undefined, reopening: known.reopening };
    const state = { epoch, reopening: true, reopenedUpTo: null };
    await tx
      .insert(busEpochs)
      .values({ prefix, ...state })
      .onConflictDoUpdate({ target: busEpochs.prefix, set: { ...state, changedAt: sql`now()` } });
    return { replaced: known?.epoch, reopening: true };
  });
}

export interface ReopenStep {
  /** Outbox rows this step went through (at most the batch size). */
  examined: number;
  reopened: number;
  /** Nothing more to re-open under `epoch` (or another epoch replaced it meanwhile). */
  done: boolean;
}

/**
 * One step of the re-open after Redis lost its data: goes through the next `batchSize` outbox
 * rows by id, from where the last step stopped, and re-opens each event handed over through
 * Redis under another epoch that a subscriber it was queued for has no settled delivery of;
 * the relay hands it over again, to those subscribers only. A delivery that was waiting for its
 * retry is not settled, so it is sent again too, with a fresh set of attempts. A step that finds
 * no more rows clears the marker.
 *
 * Every statement is bounded by the batch, so a large outbox takes many short statements, never
 * one that the statement timeout cancels again and again. Progress is kept in the epoch row, so
 * any process carries on where another stopped; steps of two processes take turns on that row
 * (FOR NO KEY UPDATE, which relays' marks do not wait for). Events published meanwhile, and the
 * re-opened ones once relayed, carry the new epoch and are left alone.
 */
export async function reopenLostEvents(
  db: Database,
  prefix: string,
  epoch: string,
  batchSize = REOPEN_BATCH,
): Promise<ReopenStep> {
  return db.transaction(async (tx) => {
    const [state] = await tx
      .select({ upTo: busEpochs.reopenedUpTo })
      .from(busEpochs)
      .where(
        and(
          eq(busEpochs.prefix, prefix),
          eq(busEpochs.epoch, epoch),
          eq(busEpochs.reopening, true),
        ),
      )
      .for('no key update');
    if (!state) return { examined: 0, reopened: 0, done: true };
    const after = state.upTo === null ? undefined : gt(outbox.id, state.upTo);
    const batch = tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(after)
      .orderBy(asc(outbox.id))
      .limit(batchSize)
      .as('batch');
    // The batch's last id (uuid has no max()), and how many rows the batch holds.
    const [range] = await tx
      .select({ last: batch.id, examined: sql<number>`(count(*) over ())::int` })
      .from(batch)
      .orderBy(sql`${batch.id} desc`)
      .limit(1);
    if (!range) {
      await tx
        .update(busEpochs)
        .set({ reopening: false, reopenedUpTo: null })
        .where(and(eq(busEpochs.prefix, prefix), eq(busEpochs.epoch, epoch)));
      return { examined: 0, reopened: 0, done: true };
    }
    const [reopened] = await Promise.all([
      tx
        .update(outbox)
        .set({ dispatchedAt: null, claimedUntil: null })
        .where(
          and(
            after,
            lte(outbox.id, range.last),
            isNotNull(outbox.dispatchedAt),
            sql`${outbox.redisEpoch} is distinct from ${epoch}`,
            sql`exists (select 1 from unnest(${outbox.handedTo}) as owed(subscriber) where not ${deliverySettled(outbox.id, sql`owed.subscriber`)})`,
          ),
        )
        .returning({ id: outbox.id }),
      tx
        .update(busEpochs)
        .set({ reopenedUpTo: range.last })
        .where(and(eq(busEpochs.prefix, prefix), eq(busEpochs.epoch, epoch))),
    ]);
    return { examined: range.examined, reopened: reopened.length, done: false };
  });
}
