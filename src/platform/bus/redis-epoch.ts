import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNotNull, notExists, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.ts';
import { busEpochs, deliveries, outbox } from './schema.ts';

export const epochKey = (prefix: string) => `${prefix}:bus:epoch`;

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

/**
 * Makes `epoch` the epoch PostgreSQL knows for `prefix`. If it replaces another one (or none),
 * Redis lost its data, and with it the jobs of the events handed over before: each event
 * handed over through Redis (under any other epoch) that a subscriber it was queued for has
 * no settled (delivered or dead) delivery for is re-opened, and the relay hands it over
 * again, to those subscribers only. A delivery that was waiting for its retry is not settled,
 * so it is sent again too, with a fresh set of attempts.
 * Returns how many events were re-opened. The lock on the epoch row serialises this with other
 * processes doing the same and with every relay's mark (see markDispatched).
 */
export async function adoptRedisEpoch(
  db: Database,
  prefix: string,
  epoch: string,
): Promise<number> {
  return db.transaction(async (tx) => {
    const [known] = await tx
      .select()
      .from(busEpochs)
      .where(eq(busEpochs.prefix, prefix))
      .for('update');
    if (known?.epoch === epoch) return 0;
    const settled = tx
      .select({ eventId: deliveries.eventId })
      .from(deliveries)
      .where(
        and(
          eq(deliveries.eventId, outbox.id),
          sql`${deliveries.subscriber} = owed.subscriber`,
          inArray(deliveries.status, ['delivered', 'dead']),
        ),
      );
    const reopened = await tx
      .update(outbox)
      .set({ dispatchedAt: null, claimedUntil: null })
      .where(
        and(
          isNotNull(outbox.dispatchedAt),
          sql`${outbox.redisEpoch} is distinct from ${epoch}`,
          sql`exists (select 1 from unnest(${outbox.handedTo}) as owed(subscriber) where ${notExists(settled)})`,
        ),
      )
      .returning({ id: outbox.id });
    await tx
      .insert(busEpochs)
      .values({ prefix, epoch })
      .onConflictDoUpdate({ target: busEpochs.prefix, set: { epoch, changedAt: sql`now()` } });
    return reopened.length;
  });
}
