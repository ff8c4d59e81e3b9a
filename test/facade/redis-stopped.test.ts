import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FacadeSystem, startFacadeSystem } from '../support/facade-system.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.ts';
import { eventually } from '../support/services.ts';
import { type FacadeClient, facadeClient } from './fault-system.ts';

// The system behind its facade on a redis-server of the test's own, which the test kills and
// starts again empty: toggles are still changed and served (PostgreSQL is their truth), and the
// events of a sign-up made meanwhile wait in the outbox until Redis is back.

let redis: PrivateRedis;
let system: FacadeSystem;
let client: FacadeClient;
let admin: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  system = await startFacadeSystem('fault_redis', {
    env: { REDIS_URL: redis.url, REDIS_PREFIX: `fault_redis_${randomUUID().slice(0, 8)}` },
  });
  client = facadeClient(system.url);
  admin = await client.login('admin', 'admin-password');
});
afterAll(async () => {
  await system?.stop();
  await redis?.stop();
});

const signUp = async () => {
  const username = `shopper_${randomUUID().slice(0, 8)}`;
  const registered = await client.call<{ id: string }>('POST', '/api/users', {
    body: { username, email: `${username}@example.com`, password: 'shopper-password' },
  });
  expect(registered.status).toBe(201);
  return client.login(username, 'shopper-password');
};
const welcomes = async (token: string) => {
  const reply = await client.get<{ items: Array<{ kind: string }> }>('/api/notifications', token);
  expect(reply.status).toBe(200);
  return reply.body.items.filter((n) => n.kind === 'welcome').length;
};

describe('Redis stopped under the facade', () => {
  it('still changes and serves toggles, and delivers the events that waited once Redis returns', async () => {
    const before = await signUp();
    await eventually(async () => expect(await welcomes(before)).toBe(1));

    await redis.kill();
    const moved = await client.move(admin, 'payments.read.by-id', 'shadow');
    const routes = await client.get<{
      items: Array<{ routeId: string; mode: string; version: number }>;
    }>('/_facade/api/routes', admin);
    expect(routes.status).toBe(200);
    expect(routes.body.items.find((r) => r.routeId === 'payments.read.by-id')).toMatchObject({
      mode: 'shadow',
      version: moved.version,
    });
    const during = await signUp();
    expect(await welcomes(during)).toBe(0);

    await redis.start();
    await eventually(async () => expect(await welcomes(during)).toBe(1), { timeoutMs: 30_000 });
    // The change made while Redis was away still holds.
    const after = await client.get<{ items: Array<{ routeId: string; mode: string }> }>(
      '/_facade/api/routes',
      admin,
    );
    expect(after.body.items.find((r) => r.routeId === 'payments.read.by-id')?.mode).toBe('shadow');
  }, 60_000);
});
