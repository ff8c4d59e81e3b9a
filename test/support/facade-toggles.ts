import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { pino } from 'pino';
import { FACADE_MIGRATIONS } from '../../facade/database.ts';
import type { Mode } from '../../facade/routes/modes.ts';
import {
  FACADE_INTERNAL_PATH,
  isFacadeInternalPath,
  toggleInternalRoutes,
} from '../../facade/toggles/internal-routes.ts';
import { createToggleStore, type ToggleStore } from '../../facade/toggles/store.ts';
import type { KeySourceOptions } from '../../src/platform/auth/key-source.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from './access-tokens.ts';
import { serveApp } from './serve-app.ts';
import { testServiceCaller } from './service-credentials.ts';
import { openMigratedTestDatabase } from './services.ts';

export interface FacadeToggles {
  /** The facade's base URL. */
  url: string;
  store: ToggleStore;
  /** The component allowed to read the toggles (as `monolith`), with its service tokens. */
  caller: ReturnType<typeof testServiceCaller>;
  /** Moves a route, as an admin at the facade would. */
  move(routeId: string, mode: Mode, percentage?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The facade's toggle store on a fresh, migrated facade database, its internal API served on a
 * real port of 127.0.0.1 behind the same edge as the facade's (user tokens checked elsewhere,
 * service tokens on the internal API).
 */
export async function serveFacadeToggles(
  label: string,
  /** Trusted besides the made-up caller: a component a test starts with its own service key. */
  trusted: Record<string, KeySourceOptions> = {},
): Promise<FacadeToggles> {
  const database = await openMigratedTestDatabase(label, FACADE_MIGRATIONS);
  const store = createToggleStore({
    db: database.handle.db,
    prefix: 'unused',
    replicaId: label,
    pollMs: 1_000,
  });
  await store.start();
  const caller = testServiceCaller('monolith');
  const users = testAccessTokens();
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('facade'),
    bodyLimitBytes: 1_048_576,
    authenticate: skippingInternal(users.authenticate),
  });
  app.route(
    FACADE_INTERNAL_PATH,
    toggleInternalRoutes({ store, trustedCallers: { ...caller.trustedCallers, ...trusted } }),
  );
  const server = await serveApp(app);
  return {
    url: server.url,
    store,
    caller,
    async move(routeId, mode, percentage) {
      await store.change({
        routeId,
        mode,
        ...(percentage !== undefined && { percentage }),
        reason: `test: ${mode}`,
        changedBy: 'test-admin',
      });
    },
    async stop() {
      await server.close();
      await store.stop();
      await database.cleanup();
    },
  };
}

function skippingInternal(edge: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async (c, next) =>
    isFacadeInternalPath(c.req.path) ? next() : edge(c, next),
  );
}
