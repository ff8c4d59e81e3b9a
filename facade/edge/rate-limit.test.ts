import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/platform/auth/access-token.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { type PrivateRedis, startPrivateRedis } from '../../test/support/redis-server.ts';
import { createTestRedis, TEST_REDIS_URL, type TestRedis } from '../../test/support/services.ts';
import {
  edgeRateLimitRules,
  type RateLimitOptions,
  type RateLimitRule,
  rateLimit,
} from './rate-limit.ts';

const silent = pino({ level: 'silent' });
// An hour's window: a handful of requests never straddles a reset.
const HOUR_MS = 3_600_000;
const rule = (limit: number): RateLimitRule => ({
  name: 'default',
  limit,
  windowMs: HOUR_MS,
  per: 'user',
});

/** An app behind the limiter; `x-test-user` stands in for the edge's verified user. */
function limitedApp(options: Partial<RateLimitOptions> & Pick<RateLimitOptions, 'rules'>) {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const id = c.req.header('x-test-user');
    if (id) c.set('user', { id, roles: ['customer'] as Role[] });
    await next();
  });
  app.use(rateLimit({ prefix: 'unused', logger: silent, ...options }));
  app.all('*', (c) => c.text('ok'));
  return {
    send: (
      method: string,
      path: string,
      { ip = '10.0.0.1', user }: { ip?: string; user?: string } = {},
    ) =>
      app.request(
        path,
        { method, headers: user ? { 'x-test-user': user } : {} },
        { incoming: { socket: { remoteAddress: ip } } },
      ),
  };
}

async function statuses(
  send: () => Response | Promise<Response>,
  times: number,
): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < times; i++) seen.push((await send()).status);
  return seen;
}

describe('rate limiting in memory', () => {
  it('answers 429 problem with Retry-After after the limit; every answer says where it stands', async () => {
    const { send } = limitedApp({ rules: [rule(3)] });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await send('GET', '/api/products'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.headers.get('ratelimit-policy'))).toEqual(
      Array(3).fill('"default";q=3;w=3600'),
    );
    expect(answers.map((a) => a.headers.get('ratelimit')?.split(';t=')[0])).toEqual([
      '"default";r=2',
      '"default";r=1',
      '"default";r=0',
    ]);

    const refused = await send('GET', '/api/products');
    await expectProblem(refused, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.headers.get('ratelimit')).toBe(`"default";r=0;t=${retryAfter}`);
    expect(refused.headers.get('ratelimit-policy')).toBe('"default";q=3;w=3600');
  });

  it('limits sign-ins harder than the rest, per client IP', async () => {
    const rules = edgeRateLimitRules({
      RATE_LIMIT_PER_MINUTE: 600,
      RATE_LIMIT_LOGIN_PER_MINUTE: 2,
    });
    const { send } = limitedApp({ rules: rules.map((r) => ({ ...r, windowMs: HOUR_MS })) });
    expect(await statuses(() => send('POST', '/api/auth/login'), 3)).toEqual([200, 200, 429]);
    const refused = await send('POST', '/api/auth/login');
    expect(refused.headers.get('ratelimit-policy')).toBe('"login";q=2;w=3600');
    // The same client's other requests count against the default policy, not the login one.
    const other = await send('GET', '/api/products');
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-policy')).toBe('"default";q=600;w=3600');
    // Another client signs in as ever.
    expect((await send('POST', '/api/auth/login', { ip: '10.0.0.2' })).status).toBe(200);
  });

  it('counts each signed-in user apart from the others and from the anonymous IP', async () => {
    const { send } = limitedApp({ rules: [rule(2)] });
    const alice = randomUUID();
    expect(await statuses(() => send('GET', '/api/orders', { user: alice }), 3)).toEqual([
      200, 200, 429,
    ]);
    // Same IP, another user; the same IP anonymous; alice from elsewhere is still alice.
    expect((await send('GET', '/api/orders', { user: randomUUID() })).status).toBe(200);
    expect((await send('GET', '/api/products')).status).toBe(200);
    expect((await send('GET', '/api/orders', { user: alice, ip: '10.9.9.9' })).status).toBe(429);
  });

  it('reads the client from X-Forwarded-For only behind a trusted proxy, and only its last hop', async () => {
    const app = new Hono<AppEnv>();
    app.use(rateLimit({ prefix: 'unused', logger: silent, rules: [rule(1)], trustProxy: true }));
    app.all('*', (c) => c.text('ok'));
    const fromProxy = (xff: string) =>
      app.request(
        '/api/products',
        { headers: { 'x-forwarded-for': xff } },
        {
          incoming: { socket: { remoteAddress: '172.16.0.1' } },
        },
      );
    expect((await fromProxy('203.0.113.7')).status).toBe(200);
    // A client that forges a first hop is still the address the proxy appended.
    expect((await fromProxy('198.51.100.1, 203.0.113.7')).status).toBe(429);
    expect((await fromProxy('203.0.113.8')).status).toBe(200);

    const untrusting = new Hono<AppEnv>();
    untrusting.use(rateLimit({ prefix: 'unused', logger: silent, rules: [rule(1)] }));
    untrusting.all('*', (c) => c.text('ok'));
    const direct = (xff: string) =>
      untrusting.request(
        '/api/products',
        { headers: { 'x-forwarded-for': xff } },
        {
          incoming: { socket: { remoteAddress: '172.16.0.1' } },
        },
      );
    expect((await direct('203.0.113.7')).status).toBe(200);
    expect((await direct('203.0.113.8')).status).toBe(429);
  });

  it('never limits health probes', async () => {
    const { send } = limitedApp({ rules: [rule(1)] });
    expect(await statuses(() => send('GET', '/health/ready'), 3)).toEqual([200, 200, 200]);
  });
});

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg), lines };
}

describe('rate limiting on Redis', () => {
  let redis: TestRedis;
  beforeAll(() => {
    redis = createTestRedis('rate_limit');
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it('shares the count between replicas', async () => {
    const client = redis.connect();
    await client.ping();
    const options = { redis: client, prefix: redis.prefix, rules: [rule(3)] };
    const one = limitedApp(options);
    const two = limitedApp(options);
    const user = randomUUID();
    expect((await one.send('GET', '/api/orders', { user })).status).toBe(200);
    expect((await two.send('GET', '/api/orders', { user })).status).toBe(200);
    expect((await one.send('GET', '/api/orders', { user })).status).toBe(200);
    expect((await two.send('GET', '/api/orders', { user })).status).toBe(429);
    // The window's key lives in Redis, and expires by itself.
    const keys = await client.keys(`${redis.prefix}:rl:default:user:${user}:*`);
    expect(keys).toHaveLength(1);
    expect(await client.get(keys[0] as string)).toBe('4');
    expect(await client.pttl(keys[0] as string)).toBeGreaterThan(0);
  });

  it('still limits, in memory, when Redis does not answer; says so once', async () => {
    const proxy: FaultProxy = await startFaultProxy({
      host: '127.0.0.1',
      port: Number(new URL(TEST_REDIS_URL).port || 6379),
    });
    const client = new Redis(proxy.via(TEST_REDIS_URL), { maxRetriesPerRequest: null });
    client.on('error', () => {});
    try {
      await client.ping();
      const { logger, warnings } = recordingLogger();
      const { send } = limitedApp({
        redis: client,
        prefix: redis.prefix,
        rules: [rule(2)],
        logger,
      });
      proxy.blackhole();
      expect(await statuses(() => send('GET', '/api/products', { ip: '10.1.1.1' }), 3)).toEqual([
        200, 200, 429,
      ]);
      expect(warnings()).toEqual(['rate limiting falls back to memory: redis is unavailable']);
    } finally {
      await proxy.restore();
      client.disconnect();
      await proxy.close();
    }
  });

  it('still limits, in memory, when Redis is gone, and goes back to Redis when it returns', async () => {
    const server: PrivateRedis = await startPrivateRedis();
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    client.on('error', () => {});
    try {
      await client.ping();
      const { logger, warnings, lines } = recordingLogger();
      const { send } = limitedApp({ redis: client, prefix: 'private', rules: [rule(2)], logger });
      const user = randomUUID();
      expect((await send('GET', '/api/orders', { user })).status).toBe(200);
      await server.kill();
      expect(await statuses(() => send('GET', '/api/orders', { user }), 3)).toEqual([
        200, 200, 429,
      ]);
      expect(warnings()).toEqual(['rate limiting falls back to memory: redis is unavailable']);

      await server.start();
      await new Promise<void>((resolve) =>
        client.status === 'ready' ? resolve() : client.once('ready', () => resolve()),
      );
      // Redis came back empty: a fresh count there.
      expect((await send('GET', '/api/orders', { user })).status).toBe(200);
      expect(lines.map((l) => l.msg)).toContain('rate limiting is back on redis');
      expect(await client.keys(`private:rl:default:user:${user}:*`)).toHaveLength(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
