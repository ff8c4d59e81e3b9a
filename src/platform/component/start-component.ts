import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { RemoteSubscribers } from '../bus/bullmq-transport.ts';
import { createEventBus, type EventBus } from '../bus/event-bus.ts';
import type { InProcessBroker } from '../bus/in-process-broker.ts';
import type { BaseConfig } from '../config/base-config.ts';
import { type DatabaseHandle, openDatabase } from '../db/database.ts';
import { type Health, mountOperations } from '../health.ts';
import { mountApiDocs } from '../http/api-docs.ts';
import type { AppEnv } from '../http/app-env.ts';
import { createHttpApp } from '../http/create-app.ts';
import { type Listener, listen } from '../http/serve.ts';
import { mountServiceIndex } from '../http/service-index.ts';
import { countDatabaseActivity, createMetrics } from '../metrics.ts';
import { closeRedis, connectRedis } from '../queue/redis.ts';
import { createRetentionSweep } from '../retention.ts';
import { stopInSteps } from '../shutdown.ts';
import type { ComponentContext, ComponentDefinition, ComponentParts } from './component.ts';

export interface RunningComponent {
  name: string;
  url: string;
  app: OpenAPIHono<AppEnv>;
  database: DatabaseHandle;
  bus: EventBus;
  parts: ComponentParts;
  /** Drains requests, stops the modules and the bus, closes Redis and the database. */
  stop(): Promise<void>;
}

/** How a component meets the others it runs beside. */
export interface StartOptions {
  /**
   * Subscribers of other components, by event name (see ComponentDefinition.consumes): with
   * Redis they get BullMQ jobs, without it the broker hands them the events.
   */
  remoteSubscribers?: RemoteSubscribers;
  /** Without Redis, the broker the components of this process share. */
  broker?: InProcessBroker;
  /**
   * The component's port, already taken (`listenOn`): a process starting several components
   * takes every port before it touches any database.
   */
  listener?: Listener;
  /**
   * The component's database, already opened and migrated (`openComponentDatabase`): a process
   * starting several components opens theirs side by side. The component owns it from here on.
   */
  database?: DatabaseHandle;
}

/** Takes the component's port (the setting that chose it is named if it is taken). */
export function listenOn<C extends BaseConfig>(
  definition: Pick<ComponentDefinition<C>, 'port'>,
  config: C,
): Promise<Listener> {
  return listen({ ...definition.port(config), host: config.HOST });
}

/**
 * A component's database (PGlite under DATA_DIR unless it has a URL), migrated with its own
 * migrations: what the component and the commands that work on its data all open.
 */
export async function openComponentDatabase<C extends BaseConfig>(
  definition: Pick<ComponentDefinition<C>, 'name' | 'database'>,
  config: C,
): Promise<DatabaseHandle> {
  const { url, migrations } = definition.database(config);
  const database = await openDatabase({
    url,
    dataDir: config.DATA_DIR,
    name: definition.name,
    timeouts: {
      statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    },
  });
  try {
    await database.migrate(migrations);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * The one start routine every component runs: the port first (a taken one fails before the
 * database is touched), then its database and migrations (unless it was given them opened),
 * Redis, the event bus, its parts, the HTTP app with health, metrics and docs, demo data, the bus
 * and the modules; the port answers 503 "starting" until all of it is up. `stop` undoes it in
 * reverse, each step bounded.
 */
export async function startComponent<C extends BaseConfig>(
  definition: ComponentDefinition<C>,
  config: C,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningComponent> {
  let listener: Listener;
  try {
    listener = options.listener ?? (await listenOn(definition, config));
  } catch (error) {
    await options.database?.close();
    throw error;
  }
  try {
    const database = options.database ?? (await openComponentDatabase(definition, config));
    try {
      return await wire(definition, config, logger, listener, database, options);
    } catch (error) {
      // A start-up that failed half-way gives back what it opened (a PGlite directory's lock too).
      await database.close();
      throw error;
    }
  } catch (error) {
    await listener.close();
    throw error;
  }
}

async function wire<C extends BaseConfig>(
  definition: ComponentDefinition<C>,
  config: C,
  logger: Logger,
  listener: Listener,
  database: DatabaseHandle,
  options: StartOptions,
): Promise<RunningComponent> {
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : undefined;
  const bus = createEventBus({
    db: database.db,
    logger,
    component: definition.name,
    redis: redis && { client: redis, prefix: config.REDIS_PREFIX },
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    retryBaseMs: config.EVENT_RETRY_BASE_MS,
    relayStallMs: config.EVENT_RELAY_STALL_MS,
    jobLockMs: config.EVENT_JOB_LOCK_MS,
    remoteSubscribers: options.remoteSubscribers ?? definition.remoteSubscribers,
    broker: options.broker,
  });
  const metrics = createMetrics(definition.name);
  countDatabaseActivity(metrics, database.activity);
  const context: ComponentContext<C> = {
    component: definition.name,
    config,
    db: database.db,
    events: bus,
    logger,
    database,
    bus,
    redis,
    metrics,
  };
  const parts = definition.build(context);
  const { modules } = parts;
  assertConsumesDeclared(definition, modules);

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
      // Events that stopped moving (relay failing, outbox lagging) make the process unready.
      events: () => bus.checkRelay(),
      ...parts.checks,
    },
  };
  const app = createHttpApp({
    logger,
    metrics,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    authenticate: parts.authenticate,
    deferAnswerHeaders: parts.deferAnswerHeaders,
  });
  for (const module of modules) {
    if (module.routes) app.route(definition.routePrefix || '/', module.routes);
    bus.subscribe(...(module.subscriptions ?? []));
  }
  parts.mount?.(app);
  mountOperations(app, health, metrics);
  mountApiDocs(app, definition.about);
  mountServiceIndex(app, {
    name: definition.about.title,
    description: definition.about.description,
    entryPoints: parts.entryPoints,
  });
  if (parts.catchAll) app.all('*', parts.catchAll);

  const retention = createRetentionSweep(
    [
      { name: 'events', prune: bus.prune },
      ...modules.flatMap((m) => (m.prune ? [{ name: m.name, prune: m.prune }] : [])),
      ...(parts.prunes ?? []),
    ],
    { windowMs: config.RETENTION_MS, intervalMs: config.RETENTION_SWEEP_INTERVAL_MS },
    logger,
  );
  // Each step is bounded, so a lost database or Redis cannot hold the exit past
  // SHUTDOWN_TIMEOUT_MS; what a cut-short step leaves behind ends with the process.
  const stop = ({ database: andDatabase }: { database: boolean }) =>
    stopInSteps(
      [
        { name: 'http', share: 0.1, run: () => listener.close() },
        {
          name: 'modules',
          share: 0.1,
          run: async () => {
            for (const module of [...modules].reverse()) await module.stop?.();
            await parts.stop?.();
          },
        },
        { name: 'retention', share: 0.05, run: (ms) => retention.stop(ms) },
        { name: 'events', share: 0.2, run: (ms) => bus.stop(ms) },
        {
          name: 'redis',
          share: 0.05,
          run: (ms) => (redis ? closeRedis(redis, ms) : Promise.resolve()),
        },
        ...(andDatabase ? [{ name: 'database', share: 0.05, run: () => database.close() }] : []),
      ],
      config.SHUTDOWN_TIMEOUT_MS,
      logger,
    );

  try {
    if (config.SEED_DEMO_DATA) {
      for (const module of modules) await module.seed?.();
    }
    await bus.start();
    retention.start();
    for (const module of modules) await module.start?.();
  } catch (error) {
    // Half started: what did start (Redis, the bus, loops) stops before the error goes on; the
    // caller closes the database.
    await stop({ database: false });
    throw error;
  }
  listener.attach(app);
  health.started = true;

  return {
    name: definition.name,
    url: listener.url,
    app,
    database,
    bus,
    parts,
    async stop() {
      health.stopping = true;
      await stop({ database: true });
    },
  };
}

/** What a component says it consumes from others must be what it subscribes to. */
function assertConsumesDeclared<C extends BaseConfig>(
  definition: ComponentDefinition<C>,
  modules: ComponentParts['modules'],
): void {
  const subscribed = new Set(
    modules.flatMap((m) => (m.subscriptions ?? []).map((s) => `${s.event.name} ${s.subscriber}`)),
  );
  for (const [event, subscribers] of Object.entries(definition.consumes ?? {})) {
    for (const subscriber of subscribers) {
      if (!subscribed.has(`${event} ${subscriber}`)) {
        throw new Error(
          `${definition.name} declares that ${subscriber} consumes ${event}, but no module subscribes it`,
        );
      }
    }
  }
}
