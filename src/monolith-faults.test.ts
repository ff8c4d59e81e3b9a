import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { signingKeyEnv } from '../test/support/access-tokens.ts';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy.ts';
import {
  createTestDatabase,
  createTestRedis,
  eventually,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
} from '../test/support/services.ts';
import { startMonolith } from './monolith.ts';
import { loadMonolithConfig } from './monolith-config.ts';

// The monolith on PostgreSQL and Redis, each behind a fault proxy: what readiness and shutdown
// do while one of them is gone.

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const proxyFor = async (url: string): Promise<FaultProxy> => {
  const target = new URL(url);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  cleanups.push(() => proxy.close());
  return proxy;
};

async function storage(label: string) {
  const database = await createTestDatabase(label);
  const redis = createTestRedis(label);
  cleanups.push(database.drop, redis.cleanup);
  return { database, redis };
}

const register = (url: string) =>
  fetch(`${url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: `u${randomUUID().slice(0, 8)}`,
      email: `${randomUUID().slice(0, 8)}@example.com`,
      password: 'correct-horse-battery',
    }),
  });

interface Readiness {
  status: string;
  failed: string[];
  checks: Record<string, { status: string; error?: string }>;
}

describe('the monolith under PostgreSQL and Redis faults', () => {
  it('turns unready naming the events while the relay cannot move them, and ready again after', async () => {
    const { database, redis } = await storage('ready_events');
    const redisProxy = await proxyFor(TEST_REDIS_URL);
    const config = loadMonolithConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisProxy.via(redis.url),
      REDIS_PREFIX: redis.prefix,
      MONOLITH_PORT: '0',
      HOST: '127.0.0.1',
      EVENT_RELAY_STALL_MS: '1000',
      ...signingKeyEnv(),
    });
    const monolith = await startMonolith(config, pino({ level: 'silent' }));
    cleanups.push(monolith.stop);
    const ready = async () => {
      const response = await fetch(`${monolith.url}/health/ready`);
      return { status: response.status, body: (await response.json()) as Readiness };
    };
    expect(await ready()).toMatchObject({
      status: 200,
      body: { checks: { events: { status: 'up' } } },
    });

    await redisProxy.cut();
    // Events keep being written (the request path needs only PostgreSQL); none can be relayed.
    expect((await register(monolith.url)).status).toBe(201);
    await eventually(async () => {
      const { status, body } = await ready();
      expect(status).toBe(503);
      expect(body.failed).toContain('events');
      expect(body.checks.events?.error).toMatch(/has not finished a run|has waited/);
    });

    await redisProxy.restore();
    await eventually(async () => expect((await ready()).status).toBe(200), { timeoutMs: 20_000 });
  });

  it('shuts down within SHUTDOWN_TIMEOUT_MS and exits 0 with PostgreSQL and Redis both gone', async () => {
    const { database, redis } = await storage('shutdown_outage');
    const pgProxy = await proxyFor(TEST_POSTGRES_URL);
    const redisProxy = await proxyFor(TEST_REDIS_URL);
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: pgProxy.via(database.url),
        REDIS_URL: redisProxy.via(redis.url),
        REDIS_PREFIX: redis.prefix,
        MONOLITH_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '3000',
        ...signingKeyEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const url = await eventually(
      () => {
        const match = /monolith\s+(http:\/\/\S+)/.exec(output);
        if (!match?.[1] || !/"startupMs":\d+/.test(output))
          throw new Error(`not ready:\n${output}`);
        return match[1];
      },
      { timeoutMs: 30_000 },
    );
    // Work in flight on both sides when they go: a request, its event, a delivery.
    expect((await register(url)).status).toBe(201);

    await Promise.all([pgProxy.cut(), redisProxy.cut()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = performance.now() - signalled;
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(tookMs).toBeLessThan(3_000);
    expect(output).toContain('stopped cleanly');
  });
});
