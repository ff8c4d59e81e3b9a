import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { Database } from '../../src/platform/db/database.ts';

/** The schemas whose rows a request may write; platform only through its outbox. */
const moduleSchemas = [
  'users',
  'catalog',
  'cart',
  'orders',
  'payments',
  'shipping',
  'notifications',
];

export interface StateProbe {
  tables: string[];
  /** Row count of every table, and a content digest of every module table. */
  fingerprint(): Promise<Record<string, string>>;
  /**
   * Waits until no event is waiting in the outbox or for a delivery and the fingerprint holds
   * still, so background work of an earlier request is not blamed on the next one.
   */
  settled(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface ProbeOptions {
  /**
   * With BullMQ delivery a job waits in Redis before its delivery row exists: the queues of the
   * monolith's own subscribers count (a job waiting for another component, which does not run
   * here, is not this process's work).
   */
  redis?: { url: string; prefix: string; subscribers: readonly string[] } | undefined;
}

const rowsOf = <T>(result: unknown): T[] =>
  // postgres.js returns the rows as an array; PGlite wraps them in `{ rows }`.
  Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function stateProbe(db: Database, options: ProbeOptions = {}): Promise<StateProbe> {
  const redis = options.redis && new Redis(options.redis.url, { lazyConnect: true });
  const listed = rowsOf<{ table_schema: string; table_name: string }>(
    await db.execute(sql`
      select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE'
        and (table_schema in (${sql.join(
          moduleSchemas.map((s) => sql`${s}`),
          sql`, `,
        )}) or (table_schema = 'platform' and table_name = 'outbox'))
      order by table_schema, table_name`),
  );
  const tables = listed.map((t) => `${t.table_schema}.${t.table_name}`);
  if (tables.length === 0) throw new Error('no tables found to fingerprint');

  // One round trip: a count per table, plus an md5 of the rows of each module table (catches
  // an UPDATE a rejected request should not have made). The outbox is counted only.
  const columns = listed.flatMap(({ table_schema: schema, table_name: table }) => {
    const from = `${quoted(schema)}.${quoted(table)}`;
    const key = `${schema}.${table}`;
    const count = `(select count(*)::text from ${from}) as ${quoted(`${key}#rows`)}`;
    if (schema === 'platform') return [count];
    return [
      count,
      `(select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from ${from} t) as ${quoted(`${key}#md5`)}`,
    ];
  });
  const query = sql.raw(`select ${columns.join(', ')}`);

  async function fingerprint(): Promise<Record<string, string>> {
    const [row] = rowsOf<Record<string, string>>(await db.execute(query));
    if (!row) throw new Error('fingerprint query returned no row');
    return row;
  }

  async function busy(): Promise<boolean> {
    const [row] = rowsOf<{ waiting: string }>(
      await db.execute(sql`
        select (select count(*) from platform.outbox where dispatched_at is null)
             + (select count(*) from platform.event_deliveries where status = 'pending')
          as waiting`),
    );
    if (Number(row?.waiting ?? 0) > 0) return true;
    if (!redis || !options.redis) return false;
    // With BullMQ a delivery waits as a job before it has a row: any job still queued, running
    // or delayed under the bus's prefix means something is still moving.
    let queued = 0;
    for (const state of ['wait', 'active', 'delayed', 'prioritized', 'paused']) {
      const keys = options.redis.subscribers.map(
        (subscriber) => `${options.redis?.prefix}:bull:events.${subscriber}:${state}`,
      );
      for (const key of keys) {
        const type = await redis.type(key);
        queued +=
          type === 'zset' ? await redis.zcard(key) : type === 'list' ? await redis.llen(key) : 0;
      }
    }
    return queued > 0;
  }

  async function settled(): Promise<Record<string, string>> {
    const deadline = Date.now() + 15_000;
    let previous = await fingerprint();
    for (;;) {
      await sleep(40);
      const current = await fingerprint();
      if (!(await busy()) && JSON.stringify(current) === JSON.stringify(previous)) return current;
      if (Date.now() > deadline) throw new Error('the database did not settle within 15 s');
      previous = current;
    }
  }

  return {
    tables,
    fingerprint,
    settled,
    async close() {
      await redis?.quit();
    },
  };
}

/** The entries that differ between two fingerprints, for a readable failure. */
export function fingerprintDiff(
  before: Record<string, string>,
  after: Record<string, string>,
): Record<string, { before: string | undefined; after: string | undefined }> {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return Object.fromEntries(
    [...keys]
      .filter((k) => before[k] !== after[k])
      .map((k) => [k, { before: before[k], after: after[k] }]),
  );
}
