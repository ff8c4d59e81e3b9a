import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/services.ts';
import { countDatabaseActivity, createMetrics } from '../metrics.ts';
import { openDatabase } from './database.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A counter's value as /metrics shows it. */
const scraped = (text: string, name: string) =>
  Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);

describe('database activity', () => {
  it('counts every statement and transaction sent to PostgreSQL, and /metrics shows them', async () => {
    const database = await createTestDatabase('db_activity');
    cleanups.push(database.drop);
    const dataDir = await mkdtemp(join(tmpdir(), 'db-activity-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const handle = await openDatabase({ url: database.url, dataDir, name: 'activity' });
    cleanups.push(() => handle.close());
    const metrics = createMetrics('activity-test');
    countDatabaseActivity(metrics, handle.activity);
    const before = { ...handle.activity };

    await handle.db.execute(sql`select 1`);
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`select 2`);
      await tx.execute(sql`select 3`);
    });

    expect(handle.activity).toEqual({
      statements: before.statements + 3,
      transactions: before.transactions + 1,
    });
    const text = await metrics.registry.metrics();
    expect(scraped(text, 'db_statements_total')).toBe(before.statements + 3);
    expect(scraped(text, 'db_transactions_total')).toBe(before.transactions + 1);
  });
});
