import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { createCatalogModule } from './modules/catalog/index.ts';
import { eventAdminRoutes } from './platform/bus/admin-routes.ts';
import { createEventBus, type EventBus } from './platform/bus/event-bus.ts';
import type { Config } from './platform/config.ts';
import { type DatabaseHandle, openDatabase } from './platform/db/database.ts';
import { MONOLITH_MIGRATIONS } from './platform/db/migrate.ts';
import { type Health, mountOperations } from './platform/health.ts';
import { mountApiDocs } from './platform/http/api-docs.ts';
import type { AppEnv } from './platform/http/app-env.ts';
import { createHttpApp } from './platform/http/create-app.ts';
import { serveApp } from './platform/http/serve.ts';
import { createMetrics } from './platform/metrics.ts';
import type { Module, ModuleContext } from './platform/module.ts';
import { connectRedis } from './platform/queue/redis.ts';

export interface Monolith {
  url: string;
  app: OpenAPIHono<AppEnv>;
  database: DatabaseHandle;
  bus: EventBus;
  /** Drains requests, stops modules and the bus, closes Redis and the database. */
  stop(): Promise<void>;
}

/** Opens the database (PGlite unless DATABASE_URL), applies migrations, wires every module. */
export async function startMonolith(config: Config, logger: Logger): Promise<Monolith> {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    name: 'monolith',
  });
  await database.migrate(MONOLITH_MIGRATIONS);
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : undefined;
  const bus = createEventBus({
    db: database.db,
    logger,
    redis: redis && { client: redis, prefix: config.REDIS_PREFIX },
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    retryBaseMs: config.EVENT_RETRY_BASE_MS,
  });
  const context: ModuleContext = { config, db: database.db, events: bus, logger };

  // The modules, in dependency order. Ports are wired here and nowhere else.
  const catalog = createCatalogModule(context);
  const modules: Module[] = [catalog];

  const metrics = createMetrics('monolith');
  const health: Health = {
    started: false,
    stopping: false,
    checks: {
      database: database.ping,
      ...(redis && {
        redis: async () => {
          await redis.ping();
        },
      }),
    },
  };
  const app = createHttpApp({ logger, metrics, bodyLimitBytes: config.BODY_LIMIT_BYTES });
  for (const module of modules) {
    if (module.routes) app.route('/api', module.routes);
    bus.subscribe(...(module.subscriptions ?? []));
  }
  app.route('/admin/events', eventAdminRoutes(bus, config.ADMIN_TOKEN));
  mountOperations(app, health, metrics);
  mountApiDocs(app, {
    title: 'Commerce monolith',
    version: '1.0.0',
    description: 'The modular monolith: catalog and inventory.',
  });

  if (config.SEED_DEMO_DATA) {
    for (const module of modules) await module.seed?.();
  }
  await bus.start();
  for (const module of modules) await module.start?.();
  const server = await serveApp(app, { port: config.MONOLITH_PORT, host: config.HOST });
  health.started = true;

  return {
    url: server.url,
    app,
    database,
    bus,
    async stop() {
      health.stopping = true;
      await server.close();
      for (const module of [...modules].reverse()) await module.stop?.();
      await bus.stop();
      await redis?.quit();
      await database.close();
    },
  };
}
