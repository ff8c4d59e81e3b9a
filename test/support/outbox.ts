import { eq } from 'drizzle-orm';
import { outbox } from '../../src/platform/bus/schema.ts';
import type { Executor } from '../../src/platform/db/database.ts';

export type OutboxRow = typeof outbox.$inferSelect;

/** The outbox's events of this name; only those whose payload names `orderId`, when given. */
export async function outboxEvents(
  db: Executor,
  name: string,
  orderId?: string,
): Promise<OutboxRow[]> {
  const rows = await db.select().from(outbox).where(eq(outbox.name, name));
  if (orderId === undefined) return rows;
  return rows.filter((row) => (row.payload as { orderId?: string }).orderId === orderId);
}
