import { and, asc, eq, exists, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { builtOnce } from '../db/prepared.ts';
import { fromNow } from '../db/sql-time.ts';
import type { EventEnvelope } from './event-contract.ts';
import { busEpochs, outbox } from './schema.ts';
import type { ClaimedEvent, HandOver, Transport } from './transport.ts';

export interface RelayOptions {
  batchSize: number;
  /** How long a claim lasts: a relay that died mid-hand-over leaves its rows to others after it. */
  claimMs: number;
}

/**
 * Moves committed outbox rows to the transport without holding a transaction (or a row lock)
 * across the hand-over, which may be a network call to Redis: a batch is claimed in one
 * statement (SKIP LOCKED, so replicas take different rows), handed over, then marked
 * dispatched. A failed hand-over releases the claim; a crashed relay's claim lapses; either
 * way a later run relays the rows again, which the job ids and the consumers' inbox make
 * harmless. Returns how many rows it claimed.
 */
export async function relayOutboxBatch(
  db: Database,
  transport: Transport,
  { batchSize, claimMs }: RelayOptions,
): Promise<number> {
  await transport.beforeRelay();
  const claimed = await claimBatch(db, batchSize, claimMs);
  if (claimed.length === 0) return 0;
  const ids = claimed.map((row) => row.id);
  let handOver: HandOver;
  try {
    handOver = await transport.fanOut(claimed.map(toClaimedEvent));
  } catch (error) {
    // If the release fails too (the database is gone), the claim lapses instead.
    await releaseClaims(db, ids).catch(() => {});
    throw error;
  }
  const marked = await markDispatched(db, ids, handOver);
  // Fewer marked: Redis lost its data during the hand-over, and the jobs with it.
  if (marked < ids.length) await releaseClaims(db, ids);
  if (marked > 0) transport.dispatched();
  return claimed.length;
}

/** Run by every relay pass: built once. */
const claimStatement = builtOnce<{ batchSize: number; claimMs: number }>()((db) => {
  const claimable = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        isNull(outbox.dispatchedAt),
        or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, sql`now()`)),
      ),
    )
    .orderBy(asc(outbox.createdAt))
    .limit(sql.placeholder('batchSize'))
    .for('update', { skipLocked: true });
  return db
    .update(outbox)
    .set({ claimedUntil: fromNow(sql.placeholder('claimMs')) })
    .where(inArray(outbox.id, claimable))
    .returning();
});

async function claimBatch(db: Database, batchSize: number, claimMs: number) {
  const rows = await claimStatement(db, { batchSize, claimMs: Math.round(claimMs) });
  // Oldest first, as they were claimed (RETURNING keeps no order).
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

function toClaimedEvent(row: typeof outbox.$inferSelect): ClaimedEvent {
  const envelope: EventEnvelope = {
    name: row.name,
    version: row.version,
    payload: row.payload,
    metadata: row.metadata,
  };
  return { envelope, handedTo: row.handedTo };
}

/**
 * Marks the rows dispatched. After a hand-over to Redis only while PostgreSQL still knows that
 * Redis epoch as current: the key-share lock orders the mark against a recovery that retires the
 * epoch (see adoptRedisEpoch), so a row is either marked before the recovery looks for lost
 * events, or not at all.
 */
async function markDispatched(db: Database, ids: string[], handOver: HandOver): Promise<number> {
  const { redis } = handOver;
  const epochIsCurrent = redis
    ? exists(
        db
          .select({ prefix: busEpochs.prefix })
          .from(busEpochs)
          .where(and(eq(busEpochs.prefix, redis.prefix), eq(busEpochs.epoch, redis.epoch)))
          .for('key share'),
      )
    : undefined;
  const marked = await db
    .update(outbox)
    .set({
      dispatchedAt: sql`now()`,
      claimedUntil: null,
      ...(redis && {
        redisEpoch: redis.epoch,
        // A redelivery keeps the list of its first hand-over.
        handedTo: sql`coalesce(${outbox.handedTo}, ${subscribersByName(redis.subscribersOf)})`,
      }),
    })
    .where(and(inArray(outbox.id, ids), epochIsCurrent))
    .returning({ id: outbox.id });
  return marked.length;
}

/** The subscriber list of the row's event name, as an SQL expression over the batch's names. */
function subscribersByName(subscribersOf: ReadonlyMap<string, readonly string[]>) {
  const names = [...subscribersOf];
  if (names.length === 0) return sql`'{}'::text[]`;
  const cases = names.map(
    ([name, subscribers]) =>
      sql`when ${name} then ${`{${subscribers.map((s) => JSON.stringify(s)).join(',')}}`}::text[]`,
  );
  return sql`case ${outbox.name} ${sql.join(cases, sql` `)} else '{}'::text[] end`;
}

async function releaseClaims(db: Database, ids: string[]): Promise<void> {
  await db
    .update(outbox)
    .set({ claimedUntil: null })
    .where(and(inArray(outbox.id, ids), isNull(outbox.dispatchedAt)));
}

/** Age in ms of the oldest event never handed over, by the database's clock; 0 when none. */
export async function oldestWaitingEventAgeMs(db: Database): Promise<number> {
  // Rows re-opened after Redis lost its data are left out: they are as old as the events, and
  // a recovery backlog is not a stalled relay (the relay's own last run tells that).
  const [row] = await db
    .select({
      ageMs: sql<string | null>`extract(epoch from (now() - min(${outbox.createdAt}))) * 1000`,
    })
    .from(outbox)
    .where(and(isNull(outbox.dispatchedAt), isNull(outbox.redisEpoch)));
  return row?.ageMs == null ? 0 : Number(row.ageMs);
}
