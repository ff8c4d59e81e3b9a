import type { Hono } from 'hono';
import { EVENT_CONSUMERS, remoteSubscribersOf } from '../src/contracts/event-consumers.ts';
import { userTokensRevoked } from '../src/contracts/users/v1/token-events.ts';
import { accessTokenVerifier } from '../src/platform/auth/access-token-verifier.ts';
import { jwksRoutes } from '../src/platform/auth/jwks-routes.ts';
import { publicKeySource } from '../src/platform/auth/key-source.ts';
import type { ServiceCallerOptions } from '../src/platform/auth/service-caller.ts';
import { loadServiceSigningKey } from '../src/platform/auth/service-keys.ts';
import { serviceTokenSource } from '../src/platform/auth/service-tokens.ts';
import { tokenRevocations } from '../src/platform/auth/token-revocations.ts';
import { defineComponent } from '../src/platform/component/component.ts';
import type { FacadeConfig } from './config.ts';
import { FACADE_MIGRATIONS } from './database.ts';
import { legacySide } from './proxy/legacy-side.ts';
import { newSide } from './proxy/new-side.ts';
import { proxyHandler } from './proxy/proxy.ts';
import { routeTable } from './routes/route-table.ts';
import { toggleAdminRoutes } from './toggles/admin-routes.ts';
import { createToggleStore } from './toggles/store.ts';
import { inProcessUpstream } from './upstream/in-process-upstream.ts';
import { createPoolUpstream } from './upstream/upstream.ts';

// The routing facade's composition root: every client request enters here, and each route's
// toggle decides which side serves it. Read top to bottom: the upstreams and their resilience,
// the two sides, the toggle store, the edge, shadow parity, the gate, then what it serves.

export interface FacadeOptions {
  /**
   * The monolith's app in this process (the single-process run): legacy routes are then served
   * without a network hop. Without it, FACADE_MONOLITH_URLS.
   */
  legacyApp?: Pick<Hono, 'fetch'>;
  /** The callers of its internal API (the monolith's seam), with their keys at hand. */
  trustedCallers?: ServiceCallerOptions['trustedCallers'];
}

export const createFacadeComponent = (options: FacadeOptions = {}) =>
  defineComponent<FacadeConfig>({
    name: 'facade',
    routePrefix: '',
    port: (config) => ({ port: config.FACADE_PORT, setting: 'FACADE_PORT' }),
    database: (config) => ({ url: config.FACADE_DATABASE_URL, migrations: FACADE_MIGRATIONS }),
    consumes: EVENT_CONSUMERS.facade,
    remoteSubscribers: remoteSubscribersOf('facade'),
    about: {
      title: 'facade',
      version: '1.0.0',
      description:
        "The strangler fig's routing facade: every client route enters here, and its migration toggle (monolith, shadow, canary, extracted, retired) decides which side serves it. This document covers the facade's own admin API; the routes it forwards are the monolith's.",
      tags: [
        { name: 'facade', description: 'Route toggles, their journal, parity and replicas' },
        { name: 'operations', description: 'What this component serves, and where' },
      ],
    },
    build(context) {
      const { component, config, db, logger } = context;
      const serviceKey = loadServiceSigningKey(component, config);
      const serviceTokens = serviceTokenSource({ component, key: serviceKey });
      const upstreams = {
        monolith: options.legacyApp
          ? inProcessUpstream({ name: 'monolith', app: options.legacyApp })
          : createPoolUpstream({
              name: 'monolith',
              instances: config.FACADE_MONOLITH_URLS,
              logger,
            }),
        'users-service': createPoolUpstream({
          name: 'users-service',
          instances: config.FACADE_USERS_SERVICE_URLS,
          logger,
        }),
        'payments-service': createPoolUpstream({
          name: 'payments-service',
          instances: config.FACADE_PAYMENTS_SERVICE_URLS,
          logger,
        }),
      };
      const sides = {
        legacy: legacySide(upstreams.monolith),
        new: newSide({ upstreams, serviceTokens }),
      };
      const initial = new Map(routeTable.map((entry) => [entry.id, entry]));
      const store = createToggleStore({
        db,
        redis: context.redis,
        prefix: config.REDIS_PREFIX,
        replicaId: config.FACADE_REPLICA_ID,
        pollMs: config.FACADE_TOGGLE_POLL_MS,
        initial: (routeId) => ({
          mode: initial.get(routeId)?.mode ?? 'monolith',
          percentage: initial.get(routeId)?.percentage ?? 0,
        }),
        logger,
      });
      const revocations = tokenRevocations({ component, db, logger, event: userTokensRevoked });
      const verifier = accessTokenVerifier({
        issuer: config.JWT_ISSUER,
        keys: publicKeySource({ url: config.FACADE_USERS_JWKS_URL }),
        revocations: revocations.api,
      });
      void verifier;

      return {
        modules: [revocations],
        authenticate: async (_c, next) => next(),
        mount(app) {
          app.route(
            '/',
            jwksRoutes({
              path: '/.well-known/service-jwks.json',
              operationId: 'getServiceJwks',
              summary: "The facade's public service key, which verifies its calls to services",
              keys: () => [serviceKey.publicJwk],
            }),
          );
          app.route(
            '/_facade/api',
            toggleAdminRoutes({ store, knownRoute: (id) => initial.has(id) }),
          );
        },
        catchAll: proxyHandler({
          table: routeTable,
          toggles: store,
          sides,
          stickyKey: (c) => c.var.user?.id ?? 'anonymous',
          defaultTimeoutMs: config.FACADE_TIMEOUT_MS,
        }),
        entryPoints: { admin: '/_facade', toggles: '/_facade/api/routes', api: '/api/products' },
        async stop() {
          await store.stop();
          await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
        },
      };
    },
  });
