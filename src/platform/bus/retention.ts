import { and, eq, inArray, lt, ne, notExists, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { ago } from '../db/sql-time.ts';
import { deliveries, inbox, outbox } from './schema.ts';

/**
 * Deletes, up to `limit` rows per table and per call (short statements, SKIP LOCKED so
 * replicas sweeping at once take different rows), what the bus no longer needs:
 * - outbox rows dispatched longer than the window ago, unless a delivery of the event is still
 *   pending or dead: a retrying or replayed delivery may need its event relayed again;
 * - delivery records delivered longer ago (dead and pending ones stay);
 * - inbox rows handled longer ago, once their event has left the outbox.
 *
 * What bounds what: an event is redelivered only by a relay (which needs its outbox row), or by
 * a retry of a job whose delivery is pending (whose outbox row is therefore kept), or by a
 * duplicate job queued by such a relay. So an inbox row kept until its event's outbox row is
 * gone, and the window after that, outlives every redelivery of its event. The outbox rows a
 * recovery after Redis lost its data can relay again are the ones still kept: the window
 * (RETENTION_MS) bounds how far back that recovery reaches.
 *
 * Returns the largest count of the three, so a full batch (= limit) means "run again".
 */
export async function pruneEventRecords(
  db: Database,
  olderThanMs: number,
  limit: number,
): Promise<number> {
  const cutoff = ago(olderThanMs);

  const unsettled = db
    .select({ eventId: deliveries.eventId })
    .from(deliveries)
    .where(and(eq(deliveries.eventId, outbox.id), ne(deliveries.status, 'delivered')));
  const oldEvents = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(lt(outbox.dispatchedAt, cutoff), notExists(unsettled)))
    .limit(limit)
    .for('update', { skipLocked: true });
  const events = await db
    .delete(outbox)
    .where(inArray(outbox.id, oldEvents))
    .returning({ id: outbox.id });

  // next_attempt_at is never later than delivered_at, and (status, next_attempt_at) is indexed.
  const oldDeliveries = db
    .select({ eventId: deliveries.eventId, subscriber: deliveries.subscriber })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.status, 'delivered'),
        lt(deliveries.nextAttemptAt, cutoff),
        lt(deliveries.deliveredAt, cutoff),
      ),
    )
    .limit(limit)
    .for('update', { skipLocked: true });
  const delivered = await db
    .delete(deliveries)
    .where(sql`(${deliveries.eventId}, ${deliveries.subscriber}) in (${oldDeliveries})`)
    .returning({ eventId: deliveries.eventId });

  const stillInOutbox = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.id, inbox.eventId));
  const oldInbox = db
    .select({ consumer: inbox.consumer, eventId: inbox.eventId })
    .from(inbox)
    .where(and(lt(inbox.handledAt, cutoff), notExists(stillInOutbox)))
    .limit(limit)
    .for('update', { skipLocked: true });
  const handled = await db
    .delete(inbox)
    .where(sql`(${inbox.consumer}, ${inbox.eventId}) in (${oldInbox})`)
    .returning({ eventId: inbox.eventId });

  return Math.max(events.length, delivered.length, handled.length);
}
