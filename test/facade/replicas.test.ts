import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFacadeComponent, loadFacadeConfig } from '../../facade/index.ts';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../src/platform/component/start-component.ts';
import { testAccessTokens } from '../support/access-tokens.ts';
import { serveApp } from '../support/serve-app.ts';
import {
  createTestDatabase,
  createTestRedis,
  eventually,
  type TestDatabase,
  type TestRedis,
} from '../support/services.ts';

// Two facade replicas on one database: a toggle changed through one is served by the other
// within a second, by Redis pub/sub, and by polling where there is no Redis. The time each
// took is printed (a measurement, not an assertion); each replica reports the version it applies.

const tokens = testAccessTokens();
let jwks: Awaited<ReturnType<typeof serveApp>>;
let admin: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const keys = new Hono().get('/.well-known/jwks.json', (c) =>
    c.json({ keys: tokens.signingKeys.publicJwks() }),
  );
  jwks = await serveApp(keys);
  admin = await tokens.tokenFor(['admin']);
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await jwks.close();
});

async function startReplicas(label: string, redis: TestRedis | undefined) {
  const database: TestDatabase = await createTestDatabase(label);
  const dataDir = await mkdtemp(join(tmpdir(), `${label}-`));
  const serviceKey = JSON.stringify(generatePrivateJwk());
  const replicas: RunningComponent[] = [];
  for (const id of ['replica-a', 'replica-b']) {
    const config = loadFacadeConfig({
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      FACADE_PORT: '0',
      FACADE_DATABASE_URL: database.url,
      FACADE_REPLICA_ID: id,
      FACADE_USERS_JWKS_URL: `${jwks.url}/.well-known/jwks.json`,
      SERVICE_SIGNING_KEY: serviceKey,
      ...(redis && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
    });
    replicas.push(await startComponent(createFacadeComponent(), config, pino({ level: 'silent' })));
  }
  cleanups.push(async () => {
    for (const replica of replicas) await replica.stop();
    await redis?.cleanup();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return replicas as [RunningComponent, RunningComponent];
}

const call = async (url: string, init: RequestInit = {}) => {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

interface Toggles {
  version: number;
  items: Array<{ routeId: string; mode: string; version: number }>;
}

/** Changes a route through `a`, then times until `b` serves the change from its own snapshot. */
async function propagation(a: RunningComponent, b: RunningComponent, mode: string) {
  const started = performance.now();
  const changed = await call(`${a.url}/_facade/api/routes/payments.read.by-id`, {
    method: 'PUT',
    body: JSON.stringify({ mode, reason: `replicas: ${mode}`, force: true }),
  });
  expect(changed.status).toBe(200);
  const version = changed.body.version as number;
  await eventually(
    async () => {
      const { body } = await call(`${b.url}/_facade/api/routes`);
      const toggles = body as unknown as Toggles;
      expect(toggles.version).toBe(version);
      expect(toggles.items.find((t) => t.routeId === 'payments.read.by-id')?.mode).toBe(mode);
    },
    { timeoutMs: 10_000, intervalMs: 5 },
  );
  return { version, ms: performance.now() - started };
}

describe('two facade replicas', () => {
  it.each([
    ['over Redis pub/sub', true],
    ['by polling, without Redis', false],
  ])(
    'serve a toggle changed through either %s, and report the version they apply',
    async (label, withRedis) => {
      const [a, b] = await startReplicas(
        `facade_replicas_${withRedis ? 'redis' : 'poll'}`,
        withRedis ? createTestRedis('facade-replicas') : undefined,
      );
      const times: number[] = [];
      let version = 0;
      for (const mode of ['shadow', 'extracted', 'shadow', 'monolith', 'shadow']) {
        const [from, to] = times.length % 2 === 0 ? [a, b] : [b, a];
        const step = await propagation(from, to, mode);
        times.push(step.ms);
        version = step.version;
      }
      console.info(
        `facade toggle propagation ${label} (PUT on one replica → served by the other), ms: ${times.map((ms) => ms.toFixed(0)).join(', ')}`,
      );
      await eventually(async () => {
        const { body } = await call(`${a.url}/_facade/api/replicas`);
        expect(body).toMatchObject({
          version,
          items: [
            { replicaId: 'replica-a', appliedVersion: version, lag: 0 },
            { replicaId: 'replica-b', appliedVersion: version, lag: 0 },
          ],
        });
      });
    },
    60_000,
  );
});
