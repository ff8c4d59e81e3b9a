import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productChanged } from '../../src/modules/catalog/index.ts';
import { createEventBus, type EventBus } from '../../src/platform/bus/event-bus.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.ts';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  TEST_REDIS_URL,
  type TestRedis,
} from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import type { ForwardAnswer, ForwardRequest } from '../proxy/exchange.ts';
import { type CatalogCache, catalogCache } from './catalog-cache.ts';

const silent = pino({ level: 'silent' });

function request(url: string, headers: Record<string, string> = {}): ForwardRequest {
  return {
    method: 'GET',
    url,
    headers,
    body: undefined,
    requestId: randomUUID(),
    traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    user: undefined,
    deadlineAt: performance.now() + 5_000,
    signal: new AbortController().signal,
  };
}

const answer = (
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): ForwardAnswer => ({
  status,
  headers: { 'content-type': 'application/json', 'x-request-id': 'upstream', ...headers },
  body: new TextEncoder().encode(JSON.stringify(body)),
});

const text = (a: ForwardAnswer | undefined) => (a ? new TextDecoder().decode(a.body) : undefined);

/** What the proxy does with a request: lookup, else "forward" and store. */
async function read(
  cache: CatalogCache,
  url: string,
  body: unknown,
  headers?: Record<string, string>,
) {
  const req = request(url, headers);
  const hit = await cache.lookup(req);
  if (hit) return hit;
  return cache.store(req, answer(body));
}

describe('the catalog cache in memory', () => {
  const cache = catalogCache({ prefix: 'memory', ttlMs: 60_000, logger: silent }).api;

  it('misses, then hits with the same status, content type and body', async () => {
    const url = `/api/products/${randomUUID()}`;
    const first = await read(cache, url, { name: 'Mug' });
    expect(first.headers['x-cache']).toBe('miss');
    expect(first.headers['x-request-id']).toBe('upstream');
    const second = await read(cache, url, { name: 'changed upstream' });
    expect(second.status).toBe(200);
    expect(second.headers).toEqual({ 'content-type': 'application/json', 'x-cache': 'hit' });
    expect(text(second)).toBe('{"name":"Mug"}');
    // The full URL is the key: another query is another entry.
    expect((await read(cache, `${url}?x=1`, {})).headers['x-cache']).toBe('miss');
  });

  it('never caches a request carrying credentials, nor labels it', async () => {
    const url = `/api/products/${randomUUID()}`;
    const authorised = request(url, { authorization: 'Bearer x' });
    expect(await cache.lookup(authorised)).toBeUndefined();
    const sent = await cache.store(authorised, answer({ archived: true }));
    expect(sent.headers['x-cache']).toBeUndefined();
    // Nothing was kept for the anonymous reader either.
    expect((await read(cache, url, { archived: false })).headers['x-cache']).toBe('miss');
  });

  it('keeps 200 answers only, and only of catalog reads', async () => {
    const url = `/api/products/${randomUUID()}`;
    const missing = request(url);
    expect(await cache.lookup(missing)).toBeUndefined();
    const notFound = await cache.store(missing, answer({ status: 404 }, 404));
    expect(notFound.headers['x-cache']).toBe('miss');
    expect(await cache.lookup(request(url))).toBeUndefined();

    const uncacheable = await cache.store(
      request(url),
      answer({}, 200, { 'cache-control': 'no-store' }),
    );
    expect(uncacheable.headers['x-cache']).toBe('miss');
    expect(await cache.lookup(request(url))).toBeUndefined();

    for (const other of ['/api/orders', '/api/products/x/reviews', '/api/cart']) {
      const req = request(other);
      expect(await cache.lookup(req)).toBeUndefined();
      expect((await cache.store(req, answer({}))).headers['x-cache']).toBeUndefined();
    }
  });

  it("drops a product's entries and every list on invalidation; other products stay", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const urls = [
      `/api/products/${a}`,
      `/api/products/${a}/stock`,
      '/api/products?page=2',
      `/api/products/${b}`,
    ];
    for (const url of urls) await read(cache, url, { v: 1 });
    await cache.invalidate(a);
    const labels = [];
    for (const url of urls) labels.push((await read(cache, url, { v: 2 })).headers['x-cache']);
    expect(labels).toEqual(['miss', 'miss', 'miss', 'hit']);
  });

  it('does not keep an answer that raced a change', async () => {
    const id = randomUUID();
    const url = `/api/products/${id}`;
    const racing = request(url);
    expect(await cache.lookup(racing)).toBeUndefined();
    await cache.invalidate(id);
    await cache.store(racing, answer({ v: 'before the change' }));
    expect(await cache.lookup(request(url))).toBeUndefined();
  });
});

describe('the catalog cache on Redis', () => {
  let redis: TestRedis;
  let db: Database;
  let bus: EventBus;
  let cleanup: () => Promise<void>;
  let one: ReturnType<typeof catalogCache>;
  let two: ReturnType<typeof catalogCache>;

  beforeAll(async () => {
    redis = createTestRedis('catalog_cache');
    const client = redis.connect();
    await client.ping();
    // Two replicas sharing Redis; the bus hands each event to one of them.
    one = catalogCache({ redis: client, prefix: redis.prefix, ttlMs: 60_000, logger: silent });
    two = catalogCache({ redis: client, prefix: redis.prefix, ttlMs: 60_000, logger: silent });
    const test = await openMigratedTestDatabase('catalog_cache', FACADE_MIGRATIONS);
    db = test.handle.db;
    cleanup = test.cleanup;
    bus = createEventBus({
      db,
      logger: silent,
      maxAttempts: 3,
      retryBaseMs: 10,
      pollIntervalMs: 20,
    });
    bus.subscribe(...(one.subscriptions ?? []));
    await bus.start();
  });
  afterAll(async () => {
    await bus.stop();
    await cleanup();
    await redis.cleanup();
  });

  it('serves one replica what the other stored, with the TTL on the key', async () => {
    const url = `/api/products/${randomUUID()}`;
    expect((await read(one.api, url, { name: 'Lamp' })).headers['x-cache']).toBe('miss');
    const hit = await read(two.api, url, { name: 'other' });
    expect(hit.headers['x-cache']).toBe('hit');
    expect(text(hit)).toBe('{"name":"Lamp"}');
    const client = redis.connect();
    const [key] = await client.keys(`${redis.prefix}:cc:e:*${url}`);
    const ttl = await client.pttl(key as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('is invalidated on every replica by a product.changed delivered through the bus', async () => {
    const [changed, untouched] = [randomUUID(), randomUUID()];
    const urls = [
      `/api/products/${changed}`,
      `/api/products/${changed}/stock`,
      '/api/products',
      `/api/products/${untouched}`,
    ];
    for (const url of urls) await read(one.api, url, { v: 1 });
    for (const url of urls) expect((await read(two.api, url, {})).headers['x-cache']).toBe('hit');

    await db.transaction((tx) =>
      bus.publish(tx, productChanged, {
        productId: changed,
        sku: 'SKU-1',
        name: 'Renamed',
        price: { amountMinor: 1200, currency: 'EUR' },
        active: true,
        change: 'updated',
      }),
    );

    await eventually(async () => {
      const labels = [];
      for (const url of urls) {
        const req = request(url);
        labels.push((await two.api.lookup(req)) === undefined ? 'miss' : 'hit');
      }
      expect(labels).toEqual(['miss', 'miss', 'miss', 'hit']);
    });
  });

  it('uses memory, without an error, while Redis does not answer; says so once', async () => {
    const proxy: FaultProxy = await startFaultProxy({
      host: '127.0.0.1',
      port: Number(new URL(TEST_REDIS_URL).port || 6379),
    });
    const client = new Redis(proxy.via(TEST_REDIS_URL), { maxRetriesPerRequest: null });
    client.on('error', () => {});
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    try {
      await client.ping();
      const cache = catalogCache({
        redis: client,
        prefix: redis.prefix,
        ttlMs: 60_000,
        logger,
      }).api;
      proxy.blackhole();
      const url = `/api/products/${randomUUID()}`;
      expect((await read(cache, url, { v: 1 })).headers['x-cache']).toBe('miss');
      const hit = await read(cache, url, { v: 2 });
      expect(hit.headers['x-cache']).toBe('hit');
      expect(text(hit)).toBe('{"v":1}');
      expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
        'the catalog cache falls back to memory: redis is unavailable',
      ]);
    } finally {
      await proxy.restore();
      client.disconnect();
      await proxy.close();
    }
  });
});
