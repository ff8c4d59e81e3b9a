import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient } from '../test/e2e/client.ts';
import { signingKeyEnv } from '../test/support/access-tokens.ts';
import { freePort } from '../test/support/free-port.ts';
import { createTestDatabase, createTestRedis, eventually } from '../test/support/services.ts';
import { startMonolith } from './monolith.ts';
import { loadMonolithConfig } from './monolith-config.ts';

const logger = pino({ level: 'silent' });

interface ProductPage {
  total: number;
  items: Array<{ id: string; price: { amountMinor: number; currency: string } }>;
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('monolith, embedded mode (PGlite, no Redis)', () => {
  it('gives its PGlite directory back when start-up fails half-way (Redis unreachable)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'monolith-halfway-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const closed = await freePort();
    const base = { DATA_DIR: dataDir, MONOLITH_PORT: '0', HOST: '127.0.0.1' };
    await expect(
      startMonolith(
        loadMonolithConfig({ ...base, REDIS_URL: `redis://127.0.0.1:${closed}` }),
        logger,
      ),
    ).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    // The directory is not held by the failed start: the next one opens it.
    const next = await startMonolith(loadMonolithConfig(base), logger);
    expect(next.database.kind).toBe('pglite');
    await next.stop();
  });

  it('starts with no servers, seeds the demo catalog, serves it over HTTP, and reuses its data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'monolith-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const config = loadMonolithConfig({ DATA_DIR: dataDir, MONOLITH_PORT: '0', HOST: '127.0.0.1' });

    const first = await startMonolith(config, logger);
    expect(first.database.kind).toBe('pglite');
    const page = await getJson<ProductPage>(`${first.url}/api/products?pageSize=100`);
    expect(page.total).toBeGreaterThanOrEqual(20);
    expect(page.items[0]).toMatchObject({ price: { currency: expect.any(String) } });
    const product = page.items[0]!;
    const stock = await getJson<{ available: number }>(
      `${first.url}/api/products/${product.id}/stock`,
    );
    expect(stock.available).toBeGreaterThan(0);
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${first.url}/openapi.json`)).status).toBe(200);

    // The root is a map: every link it gives is served (200) or a documented operation.
    const index = await getJson<{ name: string; links: Record<string, string> }>(`${first.url}/`);
    expect(index.links).toMatchObject({
      docs: '/docs',
      openapi: '/openapi.json',
      ready: '/health/ready',
      metrics: '/metrics',
      products: '/api/products',
      login: '/api/auth/login',
    });
    const documented = await getJson<{ paths: Record<string, object> }>(
      `${first.url}/openapi.json`,
    );
    expect(documented.paths['/']).toHaveProperty('get');
    const dangling: string[] = [];
    for (const [name, path] of Object.entries(index.links)) {
      const status = (await fetch(`${first.url}${path}`)).status;
      if (status !== 200 && !documented.paths[path]) dangling.push(`${name} ${path} → ${status}`);
    }
    expect(dangling).toEqual([]);
    await first.stop();

    const second = await startMonolith(config, logger);
    const again = await getJson<ProductPage>(`${second.url}/api/products?pageSize=100`);
    expect(again.total).toBe(page.total);
    await second.stop();
  });
});

describe('monolith on PostgreSQL and Redis', () => {
  it('uses the real servers, checks both for readiness, and delivers through BullMQ', async () => {
    const database = await createTestDatabase('monolith');
    cleanups.push(database.drop);
    const redis = createTestRedis('monolith');
    cleanups.push(redis.cleanup);
    const config = loadMonolithConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      MONOLITH_PORT: '0',
      HOST: '127.0.0.1',
      SEED_DEMO_DATA: 'true',
      ...signingKeyEnv(),
    });
    const monolith = await startMonolith(config, logger);
    cleanups.push(monolith.stop);
    expect(monolith.database.kind).toBe('postgres');
    const ready = await getJson<object>(`${monolith.url}/health/ready`);
    expect(ready).toMatchObject({
      status: 'ready',
      checks: { database: { status: 'up' }, redis: { status: 'up' } },
    });
    const page = await getJson<ProductPage>(`${monolith.url}/api/products`);
    expect(page.total).toBeGreaterThanOrEqual(20);

    // A sign-up's user.registered reaches notifications as a job on its BullMQ queue.
    const api = apiClient(monolith.url);
    const signUp = await api.post<{ id: string }>('/api/users', {
      username: 'bull_ann',
      email: 'bull.ann@example.com',
      password: 'ann-password-1',
    });
    expect(signUp.status).toBe(201);
    const token = await api.login('bull_ann', 'ann-password-1');
    await eventually(async () => {
      const mine = await api.get<{ items: Array<{ kind: string }> }>('/api/notifications', token);
      expect(mine.body.items.map((item) => item.kind)).toEqual(['welcome']);
    });
    const queue = new Queue('events.notifications.on-user-registered', {
      connection: redis.connect(),
      prefix: `${redis.prefix}:bull`,
    });
    try {
      const completed = await queue.getJobs(['completed']);
      expect(
        completed
          .filter((job) => job.data.payload?.userId === signUp.body.id)
          .map((job) => job.name),
      ).toEqual(['user.registered']);
    } finally {
      await queue.close();
    }
  });
});
