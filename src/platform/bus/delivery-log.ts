import { and, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from '../db/database.ts';
import { arrayLiteral, builtOnce } from '../db/prepared.ts';
import type { EventEnvelope } from './event-contract.ts';
import { deliveries, inbox } from './schema.ts';

export interface DeliveryOutcome {
  envelope: EventEnvelope;
  subscriber: string;
  attempts: number;
}

type DeliveryFields = Pick<
  typeof deliveries.$inferInsert,
  'status' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'deliveredAt' | 'updatedAt'
>;

/**
 * A delivery that needs no job any more: handled (its inbox row; a first try that succeeded
 * leaves no delivery record), recorded delivered, or dead (only a replay sends it again). What
 * a relay, and the re-open after Redis lost its data, leave out. Only this database's
 * subscribers are seen here: another component keeps its inbox and records in its own.
 */
export function deliverySettled(eventId: AnyPgColumn | SQL, subscriber: SQL): SQL {
  return or(
    sql`exists (select 1 from ${inbox} where ${inbox.eventId} = ${eventId} and ${inbox.consumer} = ${subscriber})`,
    sql`exists (select 1 from ${deliveries} where ${deliveries.eventId} = ${eventId} and ${deliveries.subscriber} = ${subscriber} and ${inArray(deliveries.status, ['delivered', 'dead'])})`,
  ) as SQL;
}

/**
 * Claims a delivery's inbox row, and in the same statement marks its delivery record delivered
 * where it has one (a retry's, a replay's, one re-opened after Redis lost its data). A first
 * try has none, and that success writes none: the record exists for what failed or is
 * retrying. True when the event had not been handled before.
 */
export async function claimDelivery(tx: Transaction, outcome: DeliveryOutcome): Promise<boolean> {
  return (await claimDeliveries(tx, outcome.subscriber, [outcome])).has(
    outcome.envelope.metadata.id,
  );
}

/**
 * claimDelivery for many deliveries of one subscriber, as one statement (a batch's): the ids of
 * the events it claimed, those not handled before.
 */
export async function claimDeliveries(
  tx: Transaction,
  subscriber: string,
  outcomes: readonly DeliveryOutcome[],
): Promise<Set<string>> {
  const claimed = await claimStatement(tx, {
    subscriber,
    eventIds: arrayLiteral(outcomes.map(({ envelope }) => envelope.metadata.id)),
    attempts: arrayLiteral(outcomes.map(({ attempts }) => String(attempts))),
  });
  return new Set(claimed.map(({ eventId }) => eventId));
}

const claimStatement = builtOnce<{ subscriber: string; eventIds: string; attempts: string }>()(
  (db) => {
    const subscriber = sql.placeholder('subscriber');
    // Array literals, so the statement's text is the same whatever the count.
    const claims = sql`unnest(${sql.placeholder('eventIds')}::uuid[], ${sql.placeholder('attempts')}::int[]) as claims(event_id, attempts)`;
    const settled = db.$with('settled').as(
      db
        .update(deliveries)
        .set({
          status: 'delivered',
          attempts: sql`claims.attempts`,
          deliveredAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .from(claims)
        .where(
          and(eq(deliveries.eventId, sql`claims.event_id`), eq(deliveries.subscriber, subscriber)),
        )
        .returning({ eventId: deliveries.eventId }),
    );
    return db
      .with(settled)
      .insert(inbox)
      .select(
        db
          .select({
            consumer: sql<string>`${subscriber}`.as('consumer'),
            eventId: sql<string>`claims.event_id`.as('event_id'),
            handledAt: sql<Date>`now()`.as('handled_at'),
          })
          .from(claims),
      )
      .onConflictDoNothing()
      .returning({ eventId: inbox.eventId });
  },
);

/** The consumer side writes the row: with BullMQ it may not exist before the first attempt. */
async function upsertDelivery(tx: Executor, outcome: DeliveryOutcome, fields: DeliveryFields) {
  await tx
    .insert(deliveries)
    .values({
      eventId: outcome.envelope.metadata.id,
      subscriber: outcome.subscriber,
      eventName: outcome.envelope.name,
      envelope: outcome.envelope,
      ...fields,
    })
    .onConflictDoUpdate({ target: [deliveries.eventId, deliveries.subscriber], set: fields });
}

export async function recordDelivered(tx: Executor, outcome: DeliveryOutcome): Promise<void> {
  const now = new Date();
  await upsertDelivery(tx, outcome, {
    status: 'delivered',
    attempts: outcome.attempts,
    deliveredAt: now,
    updatedAt: now,
  });
}

export async function recordFailure(
  tx: Executor,
  outcome: DeliveryOutcome & { error: string; dead: boolean; nextAttemptAt: Date },
): Promise<void> {
  await upsertDelivery(tx, outcome, {
    status: outcome.dead ? 'dead' : 'pending',
    attempts: outcome.attempts,
    // PostgreSQL's text cannot hold NUL: a message with one must not make the record unwritable.
    lastError: outcome.error.replaceAll('\u0000', '').slice(0, 2_000),
    nextAttemptAt: outcome.nextAttemptAt,
    updatedAt: new Date(),
  });
}

export interface DeadDelivery {
  eventId: string;
  subscriber: string;
  eventName: string;
  attempts: number;
  lastError: string | null;
  failedAt: string;
}

export async function listDeadDeliveries(db: Executor, limit = 100): Promise<DeadDelivery[]> {
  const rows = await db
    .select()
    .from(deliveries)
    .where(eq(deliveries.status, 'dead'))
    .orderBy(desc(deliveries.updatedAt))
    .limit(limit);
  return rows.map((row) => ({
    eventId: row.eventId,
    subscriber: row.subscriber,
    eventName: row.eventName,
    attempts: row.attempts,
    lastError: row.lastError,
    failedAt: row.updatedAt.toISOString(),
  }));
}

/** A dead delivery as a replay read it: reviving it holds only while it is still that. */
export interface DeadRecord {
  eventId: string;
  subscriber: string;
  envelope: EventEnvelope;
  updatedAt: Date;
}

export async function findDeadDelivery(
  db: Executor,
  eventId: string,
  subscriber: string,
): Promise<DeadRecord | undefined> {
  const [row] = await db
    .select({ envelope: deliveries.envelope, updatedAt: deliveries.updatedAt })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.eventId, eventId),
        eq(deliveries.subscriber, subscriber),
        eq(deliveries.status, 'dead'),
      ),
    );
  return (
    row && {
      eventId,
      subscriber,
      envelope: row.envelope as EventEnvelope,
      updatedAt: row.updatedAt,
    }
  );
}

/**
 * Puts a dead delivery back to pending with a fresh attempt budget, unless it changed since it
 * was read (a redelivery already recorded its own outcome); true when it did.
 */
export async function reviveDeadDelivery(db: Executor, dead: DeadRecord): Promise<boolean> {
  const revived = await db
    .update(deliveries)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, updatedAt: new Date() })
    .where(
      and(
        eq(deliveries.eventId, dead.eventId),
        eq(deliveries.subscriber, dead.subscriber),
        eq(deliveries.status, 'dead'),
        // As read: a JavaScript Date holds milliseconds.
        sql`date_trunc('milliseconds', ${deliveries.updatedAt}) = ${dead.updatedAt.toISOString()}::timestamptz`,
      ),
    )
    .returning({ eventId: deliveries.eventId });
  return revived.length > 0;
}
