import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { TEST_REDIS_URL } from './services.ts';

// The proxy other fault tests stand on: each of its faults, seen by a real client.
let proxy: FaultProxy;
let redis: Redis;
beforeAll(async () => {
  const target = new URL(TEST_REDIS_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 6379) });
  redis = new Redis(proxy.via(TEST_REDIS_URL), {
    maxRetriesPerRequest: null,
    retryStrategy: () => 20,
  });
  redis.on('error', () => {});
});
afterAll(async () => {
  redis.disconnect();
  await proxy.close();
});

const settled = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);

describe('fault proxy', () => {
  it('forwards, and holds answers back while partitioned until restored', async () => {
    expect(await redis.ping()).toBe('PONG');
    expect(proxy.connections).toBe(1);
    proxy.blackhole();
    const ping = redis.ping();
    expect(await settled(ping, 300)).toBe('pending');
    await proxy.restore();
    expect(await ping).toBe('PONG');
  });

  it('delays each chunk', async () => {
    proxy.delay(150);
    const started = performance.now();
    expect(await redis.ping()).toBe('PONG');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    proxy.delay(0);
  });

  it('refuses connections while cut and resets the open ones', async () => {
    await proxy.cut();
    expect(proxy.connections).toBe(0);
    const refused = await new Promise((resolve) => {
      connect(proxy.port, '127.0.0.1')
        .on('connect', () => resolve('connected'))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    expect(refused).toBe('ECONNREFUSED');
    await proxy.restore();
    expect(await redis.ping()).toBe('PONG');
  });

  it('resets open connections and lets new ones through', async () => {
    expect(await redis.ping()).toBe('PONG');
    proxy.reset();
    expect(proxy.connections).toBe(0);
    // ioredis reconnects on its own, through the proxy that still accepts.
    expect(await redis.ping()).toBe('PONG');
    expect(proxy.connections).toBe(1);
  });
});
