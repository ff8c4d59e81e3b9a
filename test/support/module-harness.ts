import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { issueAccessToken, type Role } from '../../src/platform/auth/access-token.ts';
import { createEventBus, type EventBus } from '../../src/platform/bus/event-bus.ts';
import { loadConfig } from '../../src/platform/config.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import type { Module, ModuleContext } from '../../src/platform/module.ts';
import { openMigratedTestDatabase } from './services.ts';

export interface ModuleHarness {
  db: Database;
  bus: EventBus;
  context: ModuleContext;
  /** An app built like the monolith's; `mount` adds a module's routes under /api. */
  app: OpenAPIHono<AppEnv>;
  mount(module: Module): void;
  /** A valid access token for a made-up (or given) user with these roles. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * Everything a module test needs, on its own fresh PostgreSQL database: a module context,
 * an event bus (not started: events stay in the outbox unless the test starts it) and an app.
 */
export async function openModuleHarness(
  label: string,
  env: Record<string, string> = {},
): Promise<ModuleHarness> {
  const test = await openMigratedTestDatabase(label);
  const db = test.handle.db;
  const logger = pino({ level: 'silent' });
  const bus = createEventBus({ db, logger, maxAttempts: 3, retryBaseMs: 10, pollIntervalMs: 20 });
  const config = loadConfig(env);
  const context: ModuleContext = { config, db, events: bus, logger };
  const app = createHttpApp({
    logger,
    metrics: createMetrics('test'),
    bodyLimitBytes: 1_000_000,
    auth: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER },
  });
  return {
    db,
    bus,
    context,
    app,
    async tokenFor(roles, userId = randomUUID()) {
      const settings = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: 600 };
      return (await issueAccessToken(settings, { id: userId, roles })).token;
    },
    mount(module) {
      if (module.routes) app.route('/api', module.routes);
    },
    async cleanup() {
      await bus.stop();
      await test.cleanup();
    },
  };
}
