import { and, isNotNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/database.ts';
import { ago } from '../../platform/db/sql-time.ts';
import { idempotencyKeys } from './schema.ts';

/**
 * Retention of Idempotency-Keys: a key whose first answer is stored and older than the window
 * goes (a retry that late places a new order). A key with no answer yet belongs to a placement
 * still under way (or one recovery will finish) and stays.
 */
export async function pruneIdempotencyKeys(
  db: Database,
  olderThanMs: number,
  limit: number,
): Promise<number> {
  const old = db
    .select({ userId: idempotencyKeys.userId, key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(
      and(isNotNull(idempotencyKeys.response), lt(idempotencyKeys.createdAt, ago(olderThanMs))),
    )
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(idempotencyKeys)
    .where(sql`(${idempotencyKeys.userId}, ${idempotencyKeys.key}) in (${old})`)
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
