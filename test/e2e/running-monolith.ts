import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type Monolith, startMonolith } from '../../src/monolith.ts';
import { loadMonolithConfig } from '../../src/monolith-config.ts';
import { createTestDatabase, createTestRedis } from '../support/services.ts';
import { type ApiClient, apiClient } from './client.ts';

export type RunMode = 'embedded' | 'postgres+redis';

export interface Environment {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** The storage a monolith runs on: a PGlite folder, or a fresh PostgreSQL database and Redis prefix. */
export async function prepareEnvironment(mode: RunMode, label: string): Promise<Environment> {
  if (mode === 'embedded') {
    const dataDir = await mkdtemp(join(tmpdir(), `${label}-`));
    return {
      env: { DATA_DIR: dataDir },
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const database = await createTestDatabase(label);
  const redis = createTestRedis(label);
  // Keys made on the first start go under DATA_DIR (not the checkout's .data).
  const dataDir = await mkdtemp(join(tmpdir(), `${label}-`));
  return {
    env: {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      DATA_DIR: dataDir,
    },
    async cleanup() {
      await redis.cleanup();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Running {
  monolith: Monolith;
  api: ApiClient;
}

/** Starts the whole monolith on a free port, seeded, with fast event retries. */
export async function runMonolith(
  environment: Environment,
  extra: Record<string, string> = {},
): Promise<Running> {
  const config = loadMonolithConfig({
    MONOLITH_PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'true',
    EVENT_RETRY_BASE_MS: '50',
    ...environment.env,
    ...extra,
  });
  const monolith = await startMonolith(config, pino({ level: 'silent' }));
  return { monolith, api: apiClient(monolith.url) };
}

export const berlin = {
  name: 'Ann Example',
  line1: 'Invalidenstr. 1',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
};
