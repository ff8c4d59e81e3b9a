import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../../../test/support/failure.ts';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import {
  createTestDatabase,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
} from '../../../test/support/services.ts';
import { ProblemError } from '../http/problem.ts';
import { DeadlineExceeded, isInfrastructureError } from './infrastructure-error.ts';

let proxy: FaultProxy;
beforeAll(async () => {
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterAll(() => proxy.close());

describe('infrastructure errors', () => {
  it('include a refused PostgreSQL connection, as drizzle reports it', async () => {
    await proxy.cut();
    const client = postgres(proxy.via(TEST_POSTGRES_URL), { max: 1, onnotice: () => {} });
    const error = await failureOf(drizzle({ client }).execute(sql`select 1`));
    await client.end({ timeout: 1 });
    await proxy.restore();
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('include a connection reset while a statement runs', async () => {
    const client = postgres(proxy.via(TEST_POSTGRES_URL), { max: 1, onnotice: () => {} });
    await client`select 1`;
    const running = failureOf(client`select pg_sleep(5)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.reset();
    const error = await running;
    await client.end({ timeout: 1 });
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('include a statement cancelled by its timeout, and a passed deadline', async () => {
    const database = await createTestDatabase('infra_errors');
    const client = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      connection: { statement_timeout: 50 },
    });
    const error = await failureOf(client`select pg_sleep(1)`);
    await client.end({ timeout: 1 });
    await database.drop();
    expect(isInfrastructureError(error)).toBe(true);
    expect(isInfrastructureError(new Error('x', { cause: new DeadlineExceeded('late') }))).toBe(
      true,
    );
  });

  it('include Redis refusing connections', async () => {
    const url = new URL(TEST_REDIS_URL);
    await proxy.close();
    proxy = await startFaultProxy({ host: url.hostname, port: Number(url.port || 6379) });
    await proxy.cut();
    const redis = new Redis(proxy.via(TEST_REDIS_URL), {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    const error = await failureOf(redis.connect().then(() => redis.ping()));
    redis.disconnect();
    await proxy.restore();
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('exclude answers: bad data, a refusal, a plain bug', async () => {
    const client = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    const nul = await failureOf(client`select ${'a\u0000b'}::text`);
    const divisionByZero = await failureOf(client`select 1/0`);
    await client.end({ timeout: 1 });
    expect(isInfrastructureError(nul)).toBe(false);
    expect(isInfrastructureError(divisionByZero)).toBe(false);
    expect(isInfrastructureError(new ProblemError(409, 'stock unavailable'))).toBe(false);
    expect(isInfrastructureError(new TypeError('undefined is not a function'))).toBe(false);
  });
});
