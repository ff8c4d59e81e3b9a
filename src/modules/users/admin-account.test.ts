import { count, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { eventually } from '../../../test/support/services.ts';
import { ensureAdmin } from './index.ts';
import { accounts } from './schema.ts';

let harness: ModuleHarness;

beforeAll(async () => {
  harness = await openModuleHarness('users-admin');
});
afterAll(async () => {
  await harness.cleanup();
});

describe('ensureAdmin', () => {
  it('creates one admin when several runs race for the same login (PostgreSQL)', async () => {
    const input = { username: 'root', email: 'root@example.com', password: 'a-long-password' };
    // Hold the runs at the lock until all five have looked and found no account, so they
    // really overlap; without the lock they would all insert and four would fail.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holding = harness.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('users.admin'))`);
      await released;
    });
    const runs = Array.from({ length: 5 }, () => ensureAdmin(harness.context, input));
    await eventually(async () => {
      const [waiting] = (await harness.db.execute(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`,
      )) as unknown as Array<{ n: number }>;
      expect(waiting?.n).toBe(5);
    });
    release();
    await holding;
    const results = await Promise.all(runs);
    expect(results.map((result) => result.outcome).sort()).toEqual([
      'created',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(new Set(results.map((result) => result.user.id)).size).toBe(1);
    const [row] = await harness.db.select({ total: count() }).from(accounts);
    expect(row?.total).toBe(1);
    expect(await outboxEvents(harness.db, 'user.registered')).toHaveLength(1);
  });
});
