import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { defineEvent } from '../../src/platform/bus/event-contract.ts';
import { subscribe } from '../../src/platform/bus/subscription.ts';
import type { Database } from '../../src/platform/db/database.ts';

/** A test-only table where subscribers record what they did, so tests count effects in rows. */
export const probeSchema = pgSchema('probe');
export const effects = probeSchema.table('effects', {
  subscriber: text('subscriber').notNull(),
  eventId: text('event_id').notNull(),
  value: integer('value').notNull(),
});

export async function createProbeTable(db: Database): Promise<void> {
  await db.execute(sql`create schema if not exists probe`);
  await db.execute(
    sql`create table if not exists probe.effects (subscriber text not null, event_id text not null, value integer not null)`,
  );
}

export async function countEffects(db: Database, subscriber: string): Promise<number> {
  const rows = await db.select().from(effects).where(sql`${effects.subscriber} = ${subscriber}`);
  return rows.length;
}

export const thingHappened = defineEvent({
  name: 'probe.thing_happened',
  version: 1,
  description: 'A test event.',
  payload: z.object({ value: z.number().int() }),
});

/** How many effects each event had for `subscriber`: "exactly once" is every count being 1. */
export async function effectCounts(db: Database, subscriber: string): Promise<Map<string, number>> {
  const rows = await db.select().from(effects).where(sql`${effects.subscriber} = ${subscriber}`);
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.eventId, (counts.get(row.eventId) ?? 0) + 1);
  return counts;
}

/** A subscriber of the probe event that records its effect (after `delayMs`, to be slow). */
export const recordEffect = (subscriber: string, delayMs = 0) =>
  subscribe(subscriber, thingHappened, async (event, tx) => {
    if (delayMs) await sleep(delayMs);
    await tx
      .insert(effects)
      .values({ subscriber, eventId: event.metadata.id, value: event.payload.value });
  });
