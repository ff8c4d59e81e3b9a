import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { MONOLITH_MIGRATIONS } from '../../src/monolith.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';

/** The machine's real servers; override to point the suite elsewhere. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const uniqueName = (label: string) =>
  `t_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database for one test file; `drop` removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = uniqueName(label);
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      await client.unsafe(`drop database if exists "${name}" with (force)`);
      await client.end();
    },
  };
}

/**
 * A migrated database handle on a fresh test database (the monolith's migrations unless another
 * component's are given); `cleanup` closes and drops it.
 */
export async function openMigratedTestDatabase(
  label: string,
  migrations = MONOLITH_MIGRATIONS,
): Promise<{ handle: DatabaseHandle; url: string; cleanup(): Promise<void> }> {
  const database = await createTestDatabase(label);
  const handle = await openDatabase({ url: database.url, dataDir: '', name: label });
  await handle.migrate(migrations);
  return {
    handle,
    url: database.url,
    async cleanup() {
      await handle.close();
      await database.drop();
    },
  };
}

export interface TestRedis {
  url: string;
  prefix: string;
  /** A connection fit for BullMQ workers. */
  connect(): Redis;
  /** Deletes every key under the prefix: Redis as it comes back from a restart without its data. */
  flush(): Promise<void>;
  /** Closes the connections made and deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

export function createTestRedis(label: string): TestRedis {
  const prefix = uniqueName(label);
  const clients: Redis[] = [];
  const flush = async () => {
    const client = new Redis(TEST_REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await client.quit();
  };
  return {
    url: TEST_REDIS_URL,
    prefix,
    connect() {
      const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      clients.push(client);
      return client;
    },
    flush,
    async cleanup() {
      await flush();
      await Promise.all(clients.map((c) => c.quit().catch(() => {})));
    },
  };
}

/** Polls until `check` passes (returns without throwing) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 15_000, intervalMs = 50 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
