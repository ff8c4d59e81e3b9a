import { and, eq, exists, isNotNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/database.ts';
import { ago } from '../../platform/db/sql-time.ts';
import { checkoutSagas, idempotencyKeys } from './schema.ts';

/**
 * Retention of Idempotency-Keys: a key older than the window goes once its order's saga has
 * finished (a retry that late places a new order), whether or not its answer was stored: only
 * the request or a later replay stores it, so a checkout that answered 503 and that recovery
 * finished, or one whose process died, may never have one. A key whose saga is unfinished
 * stays, so the customer's retry still finds that order.
 */
export async function pruneIdempotencyKeys(
  db: Database,
  olderThanMs: number,
  limit: number,
): Promise<number> {
  const sagaFinished = db
    .select({ orderId: checkoutSagas.orderId })
    .from(checkoutSagas)
    .where(
      and(eq(checkoutSagas.orderId, idempotencyKeys.orderId), isNotNull(checkoutSagas.finishedAt)),
    );
  const old = db
    .select({ userId: idempotencyKeys.userId, key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(and(lt(idempotencyKeys.createdAt, ago(olderThanMs)), exists(sagaFinished)))
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(idempotencyKeys)
    .where(sql`(${idempotencyKeys.userId}, ${idempotencyKeys.key}) in (${old})`)
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
