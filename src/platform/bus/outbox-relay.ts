import { asc, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { EventEnvelope } from './event-contract.ts';
import { outbox } from './schema.ts';
import type { Transport } from './transport.ts';

/**
 * Moves committed outbox rows to the transport. Rows are claimed with SKIP LOCKED, so several
 * relays (replicas) share the work without handing an event over twice in the same pass.
 */
export async function relayOutboxBatch(
  db: Database,
  transport: Transport,
  batchSize: number,
): Promise<number> {
  const count = await db.transaction(async (tx) => {
    // Claimed and marked in one statement; if the hand-over below fails, the transaction takes
    // the mark back and a later run relays the rows again.
    const claimable = tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(isNull(outbox.dispatchedAt))
      .orderBy(asc(outbox.createdAt))
      .limit(batchSize)
      .for('update', { skipLocked: true });
    const rows = await tx
      .update(outbox)
      .set({ dispatchedAt: new Date() })
      .where(inArray(outbox.id, claimable))
      .returning();
    if (rows.length === 0) return 0;
    // Oldest first, as they were claimed (RETURNING keeps no order).
    rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const envelopes: EventEnvelope[] = rows.map((row) => ({
      name: row.name,
      version: row.version,
      payload: row.payload,
      metadata: row.metadata,
    }));
    await transport.fanOut(tx, envelopes);
    return rows.length;
  });
  if (count > 0) transport.dispatched();
  return count;
}
