import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { RunningComponent } from '../../src/platform/component/start-component.ts';
import { type RunningSystem, startSystem } from '../../src/system.ts';
import {
  createTestDatabase,
  createTestRedis,
  type TestDatabase,
  type TestRedis,
} from './services.ts';

// The whole system behind its facade, as `npm start` composes it, but on the machine's real
// PostgreSQL (a fresh database per component) and, when asked, Redis under a prefix of its own.

export interface FacadeSystem {
  system: RunningSystem;
  /** The facade: every client request goes here. */
  url: string;
  component(name: string): RunningComponent;
  databases: Record<'monolith' | 'users-service' | 'payments-service' | 'facade', TestDatabase>;
  redis: TestRedis | undefined;
  stop(): Promise<void>;
}

export async function startFacadeSystem(
  label: string,
  options: { redis?: boolean; env?: Record<string, string> } = {},
): Promise<FacadeSystem> {
  const [monolith, users, payments, facade] = await Promise.all(
    ['mono', 'users', 'pay', 'facade'].map((part) => createTestDatabase(`${label}_${part}`)),
  );
  const databases = {
    monolith: monolith!,
    'users-service': users!,
    'payments-service': payments!,
    facade: facade!,
  };
  const redis = options.redis ? createTestRedis(label) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), `${label}-`));
  const dropAll = async () => {
    await redis?.cleanup();
    await Promise.all(Object.values(databases).map((database) => database.drop()));
    await rm(dataDir, { recursive: true, force: true });
  };
  let system: RunningSystem;
  try {
    system = await startSystem(
      {
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        FACADE_PORT: '0',
        MONOLITH_PORT: '0',
        USERS_SERVICE_PORT: '0',
        PAYMENTS_SERVICE_PORT: '0',
        DATABASE_URL: databases.monolith.url,
        USERS_SERVICE_DATABASE_URL: databases['users-service'].url,
        PAYMENTS_SERVICE_DATABASE_URL: databases['payments-service'].url,
        FACADE_DATABASE_URL: databases.facade.url,
        SEED_DEMO_DATA: 'true',
        EVENT_RETRY_BASE_MS: '50',
        ...(redis && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
        ...options.env,
      },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
  } catch (error) {
    await dropAll();
    throw error;
  }
  const component = (name: string) => {
    const found = system.components.find((c) => c.name === name);
    if (!found) throw new Error(`${name} is not running`);
    return found;
  };
  return {
    system,
    url: component('facade').url,
    component,
    databases,
    redis,
    async stop() {
      await system.stop();
      await dropAll();
    },
  };
}
