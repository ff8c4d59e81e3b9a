import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { orderPlacementFromOrders } from './adapters/in-process/cart-checkout.ts';
import { cartProductsFromCatalog } from './adapters/in-process/cart-products.ts';
import { inProcessInventory } from './adapters/in-process/inventory.ts';
import { inProcessPaymentGateway } from './adapters/in-process/payment-gateway.ts';
import { inProcessProductPricing } from './adapters/in-process/product-pricing.ts';
import { inProcessShippingScheduler } from './adapters/in-process/shipping-scheduler.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { createCartModule } from './modules/cart/index.ts';
import { type CatalogApi, createCatalogModule } from './modules/catalog/index.ts';
import { createNotificationsModule } from './modules/notifications/index.ts';
import { createOrdersModule, type OrdersApi } from './modules/orders/index.ts';
import { createPaymentsModule, type PaymentsApi } from './modules/payments/index.ts';
import { createShippingModule } from './modules/shipping/index.ts';
import { createUsersModule, type UsersApi } from './modules/users/index.ts';
import { eventAdminRoutes } from './platform/bus/admin-routes.ts';
import { createEventBus, type EventBus } from './platform/bus/event-bus.ts';
import type { Config } from './platform/config.ts';
import { type DatabaseHandle, openDatabase } from './platform/db/database.ts';
import { MONOLITH_MIGRATIONS } from './platform/db/migrate.ts';
import { type Health, mountOperations } from './platform/health.ts';
import { mountApiDocs } from './platform/http/api-docs.ts';
import type { AppEnv } from './platform/http/app-env.ts';
import { createHttpApp } from './platform/http/create-app.ts';
import { type Listener, listen } from './platform/http/serve.ts';
import { mountServiceIndex } from './platform/http/service-index.ts';
import { createMetrics } from './platform/metrics.ts';
import type { Module, ModuleContext } from './platform/module.ts';
import { closeRedis, connectRedis } from './platform/queue/redis.ts';
import { createRetentionSweep } from './platform/retention.ts';
import { stopInSteps } from './platform/shutdown.ts';

/** Every module, created and wired; `all` is in start order (a module starts after what it calls). */
export interface Modules {
  all: Module[];
  catalog: Module<CatalogApi>;
  users: Module<UsersApi>;
  payments: Module<PaymentsApi>;
  orders: Module<OrdersApi>;
}

/**
 * The system's parts and how they connect. Cross-module calls go through ports owned by the
 * caller; here each port gets its in-process adapter (the seam where an HTTP adapter to an
 * extracted service goes in later).
 */
export function createModules(context: ModuleContext): Modules {
  const users = createUsersModule(context);
  const catalog = createCatalogModule(context);
  const payments = createPaymentsModule(context);
  const shipping = createShippingModule(context);
  const orders = createOrdersModule(
    context,
    {
      pricing: inProcessProductPricing(catalog.api),
      inventory: inProcessInventory(catalog.api),
      payments: inProcessPaymentGateway(payments.api),
      shipping: inProcessShippingScheduler(shipping.api),
    },
    {
      sagaLeaseMs: context.config.SAGA_LEASE_MS,
      recoveryIntervalMs: context.config.SAGA_RECOVERY_INTERVAL_MS,
    },
  );
  const cart = createCartModule(context, {
    products: cartProductsFromCatalog(catalog.api),
    orders: orderPlacementFromOrders(orders.api),
  });
  const notifications = createNotificationsModule(context);
  return {
    all: [users, catalog, payments, shipping, orders, cart, notifications],
    catalog,
    users,
    payments,
    orders,
  };
}

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
  // The port first: a taken one fails before the database is opened or migrated.
  const listener = await listen({
    port: config.MONOLITH_PORT,
    host: config.HOST,
    setting: 'MONOLITH_PORT',
  });
  try {
    return await wireMonolith(config, logger, listener);
  } catch (error) {
    await listener.close();
    throw error;
  }
}

/**
 * The monolith's database (PGlite unless DATABASE_URL), migrated: what the monolith and the
 * commands that work on its data (db:migrate, db:seed, admin:create) all open.
 */
export async function openMonolithDatabase(config: Config): Promise<DatabaseHandle> {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    name: 'monolith',
    timeouts: {
      statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    },
  });
  try {
    await database.migrate(MONOLITH_MIGRATIONS);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function wireMonolith(config: Config, logger: Logger, listener: Listener): Promise<Monolith> {
  const database = await openMonolithDatabase(config);
  try {
    return await wireOnDatabase(config, logger, listener, database);
  } catch (error) {
    // A start-up that failed half-way gives back what it opened (a PGlite directory's lock too).
    await database.close();
    throw error;
  }
}

async function wireOnDatabase(
  config: Config,
  logger: Logger,
  listener: Listener,
  database: DatabaseHandle,
): Promise<Monolith> {
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : undefined;
  const bus = createEventBus({
    db: database.db,
    logger,
    redis: redis && { client: redis, prefix: config.REDIS_PREFIX },
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    retryBaseMs: config.EVENT_RETRY_BASE_MS,
    relayStallMs: config.EVENT_RELAY_STALL_MS,
    jobLockMs: config.EVENT_JOB_LOCK_MS,
  });
  const context: ModuleContext = { config, db: database.db, events: bus, logger };

  const wired = createModules(context);
  const modules = wired.all;

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
      // Events that stopped moving (relay failing, outbox lagging) make the process unready.
      events: () => bus.checkRelay(),
    },
  };
  const app = createHttpApp({
    logger,
    metrics,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    auth: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER },
  });
  for (const module of modules) {
    if (module.routes) app.route('/api', module.routes);
    bus.subscribe(...(module.subscriptions ?? []));
  }
  // Each source answers within its own timeout; a slow or failing one is reported, not fatal.
  app.route(
    '/api',
    dashboardRoutes(
      [
        { name: 'orders', load: () => wired.orders.api.stats() },
        { name: 'payments', load: () => wired.payments.api.stats() },
        { name: 'users', load: () => wired.users.api.stats() },
        { name: 'catalog', load: () => wired.catalog.api.stats() },
      ],
      config.DASHBOARD_SOURCE_TIMEOUT_MS,
    ),
  );
  app.route('/admin/events', eventAdminRoutes(bus));
  mountOperations(app, health, metrics);
  const about = {
    title: 'Commerce monolith',
    version: '1.0.0',
    description:
      'The modular monolith: users, catalog and inventory, cart, orders with the checkout saga, payments, shipping, notifications.',
    tags: [
      { name: 'users', description: 'Sign-up, sign-in (access tokens) and accounts' },
      { name: 'catalog', description: 'Products and their stock' },
      { name: 'cart', description: "The signed-in customer's cart and its checkout" },
      {
        name: 'orders',
        description: 'Orders, the checkout saga that places them, and their history',
      },
      { name: 'payments', description: 'Payments captured for orders, and refunds' },
      { name: 'shipping', description: 'Shipments of confirmed orders' },
      { name: 'notifications', description: 'Messages sent to the signed-in customer' },
      { name: 'admin', description: 'The operator dashboard' },
      { name: 'events', description: 'Event deliveries parked as dead, and their replay' },
      { name: 'operations', description: 'What this component serves, and where' },
    ],
  };
  mountApiDocs(app, about);
  mountServiceIndex(app, {
    name: about.title,
    description: about.description,
    entryPoints: {
      products: '/api/products',
      signUp: '/api/users',
      login: '/api/auth/login',
      me: '/api/users/me',
      cart: '/api/cart',
      orders: '/api/orders',
      notifications: '/api/notifications',
      adminDashboard: '/api/admin/dashboard',
      deadEvents: '/admin/events/dead',
    },
  });

  const retention = createRetentionSweep(
    [
      { name: 'events', prune: bus.prune },
      ...modules.flatMap((m) => (m.prune ? [{ name: m.name, prune: m.prune }] : [])),
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
    url: listener.url,
    app,
    database,
    bus,
    async stop() {
      health.stopping = true;
      await stop({ database: true });
    },
  };
}
