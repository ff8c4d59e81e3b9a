import type { Hono } from 'hono';
import { EVENT_CONSUMERS, remoteSubscribersOf } from '../src/contracts/event-consumers.ts';
import { jwksRoutes } from '../src/platform/auth/jwks-routes.ts';
import type { ServiceCallerOptions } from '../src/platform/auth/service-caller.ts';
import { loadServiceSigningKey } from '../src/platform/auth/service-keys.ts';
import { serviceTokenSource } from '../src/platform/auth/service-tokens.ts';
import { defineComponent } from '../src/platform/component/component.ts';
import { defineModule } from '../src/platform/module.ts';
import { mountAdminConsole } from './admin/admin-console.ts';
import type { FacadeConfig } from './config.ts';
import { FACADE_MIGRATIONS } from './database.ts';
import { catalogCache } from './edge/catalog-cache.ts';
import { clientCookie, clientKeyOf } from './edge/client-key.ts';
import { edgeCors } from './edge/cors.ts';
import { edgeAuth, edgeTokenCheck } from './edge/edge-auth.ts';
import { edgeChain } from './edge/edge-chain.ts';
import { edgeRateLimitRules, rateLimit } from './edge/rate-limit.ts';
import { routeOverride } from './edge/route-to.ts';
import type { VerifyReport } from './extraction/verify.ts';
import { createParityGate } from './gate/parity-gate.ts';
import { createStepBack } from './gate/step-back.ts';
import { liveVerify, recordedVerify } from './gate/verify-source.ts';
import { createParityRecorder } from './parity/recorder.ts';
import { shadowVersions } from './parity/shadow-versions.ts';
import { legacySide } from './proxy/legacy-side.ts';
import { newSide } from './proxy/new-side.ts';
import { proxyHandler } from './proxy/proxy.ts';
import { routeTable } from './routes/route-table.ts';
import { stickyKeyOf } from './routing/canary.ts';
import { facade } from './schema.ts';
import { createMirror } from './shadow/mirror.ts';
import { createFacadeMetrics } from './stats/metrics.ts';
import { createSideStats } from './stats/side-stats.ts';
import {
  FACADE_INTERNAL_PATH,
  isFacadeInternalPath,
  toggleInternalRoutes,
} from './toggles/internal-routes.ts';
import { createToggleStore } from './toggles/store.ts';
import { createInProcessUpstream } from './upstream/in-process-upstream.ts';
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
  /**
   * Runs extract:verify for a capability when the parity gate asks (the single-process run has
   * every database at hand). Without it the gate reads the reports `npm run extract:verify`
   * recorded in the facade's database.
   */
  verify?: (capability: string) => Promise<VerifyReport>;
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
      const { component, config, db, logger, redis } = context;
      const serviceKey = loadServiceSigningKey(component, config);
      const serviceTokens = serviceTokenSource({ component, key: serviceKey });
      const pool = (name: string, instances: string[]) =>
        createPoolUpstream({ name, instances, logger });
      const upstreams = {
        monolith: options.legacyApp
          ? createInProcessUpstream({ name: 'monolith', fetch: options.legacyApp.fetch })
          : pool('monolith', config.FACADE_MONOLITH_URLS),
        'users-service': pool('users-service', config.FACADE_USERS_SERVICE_URLS),
        'payments-service': pool('payments-service', config.FACADE_PAYMENTS_SERVICE_URLS),
      };
      const sides = {
        legacy: legacySide(upstreams.monolith),
        new: newSide({ upstreams, serviceTokens }),
      };

      const entries = new Map(routeTable.map((entry) => [entry.id, entry]));
      const store = createToggleStore({
        db,
        redis,
        prefix: config.REDIS_PREFIX,
        replicaId: config.FACADE_REPLICA_ID,
        pollMs: config.FACADE_TOGGLE_POLL_MS,
        initial: (routeId) => ({
          mode: entries.get(routeId)?.mode ?? 'monolith',
          percentage: entries.get(routeId)?.percentage ?? 0,
        }),
        logger,
      });
      const shadowSince = shadowVersions(db, store, logger);

      // What each side did (this replica) and the shadow parity (every replica).
      const stats = createSideStats();
      const metrics = createFacadeMetrics({
        registry: context.metrics.registry,
        stats,
        circuits: () =>
          Object.values(upstreams).map((u) => ({ upstream: u.name, state: u.state().circuit })),
        toggleVersion: () => store.current().version,
      });
      const parity = createParityRecorder({
        db,
        replicaId: config.FACADE_REPLICA_ID,
        versionOf: shadowSince.of,
        logger,
        onCompared: (routeId, equal) =>
          metrics.recordShadowCompared(routeId, equal ? 'match' : 'mismatch'),
        onDropped: (routeId, reason) => metrics.recordMirrorDropped(routeId, reason),
      });
      const mirror = createMirror({
        sides,
        parity,
        maxQueue: config.FACADE_MIRROR_QUEUE,
        maxBodyBytes: config.FACADE_MIRROR_MAX_BODY_BYTES,
        noiseSampleRate: config.FACADE_NOISE_SAMPLE_RATE,
        logger,
      });
      const gate = createParityGate({
        table: routeTable,
        parity,
        verify: options.verify ? liveVerify({ run: options.verify, db }) : recordedVerify(db),
      });
      const stepBack = createStepBack({
        store,
        table: routeTable,
        stats,
        margin: {
          errorRate: config.FACADE_STEP_BACK_ERROR_RATE,
          p99Factor: config.FACADE_STEP_BACK_P99_FACTOR,
          p99SlackMs: config.FACADE_STEP_BACK_P99_SLACK_MS,
        },
        logger,
      });
      const facadeModule = defineModule({
        name: 'facade',
        schema: facade,
        async start() {
          await store.start();
          await shadowSince.start();
          await parity.start();
          stepBack.start();
        },
        async stop() {
          stepBack.stop();
          await mirror.drain(1_000);
          await parity.stop();
          shadowSince.stop();
          await store.stop();
        },
        api: store,
      });

      // The edge: CORS, the user's token (JWKS of the users side, revocations it announces),
      // rate limits per user or client, the anonymous client's sticky cookie.
      const tokens = edgeTokenCheck({
        config: { JWT_ISSUER: config.JWT_ISSUER, USERS_JWKS_URL: config.FACADE_USERS_JWKS_URL },
        db,
        logger,
      });
      const edgePrefix = `${config.REDIS_PREFIX}:facade`;
      const address = { trustProxy: config.TRUST_PROXY };
      const cache = catalogCache({
        redis,
        prefix: edgePrefix,
        ttlMs: config.CATALOG_CACHE_TTL_MS,
        logger,
      });

      return {
        modules: [facadeModule, tokens.revocations, cache],
        // The internal API checks its callers' service tokens itself (not users' tokens).
        authenticate: edgeChain(
          (c) => isFacadeInternalPath(c.req.path),
          edgeCors(config),
          edgeAuth(tokens.verifier),
          rateLimit({
            redis,
            prefix: edgePrefix,
            rules: edgeRateLimitRules(config),
            logger,
            trustProxy: config.TRUST_PROXY,
          }),
          clientCookie(address),
        ),
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
          mountAdminConsole(app, {
            table: routeTable,
            store,
            replicaId: config.FACADE_REPLICA_ID,
            stats,
            parity,
            upstreams,
            gate,
          });
          app.route(
            FACADE_INTERNAL_PATH,
            toggleInternalRoutes({
              store,
              trustedCallers: options.trustedCallers ?? config.SERVICE_TRUSTED_CALLERS,
              knownRoute: (id) => entries.has(id),
            }),
          );
        },
        catchAll: proxyHandler({
          table: routeTable,
          toggles: store,
          sides,
          mirror,
          record: (exchange) => metrics.recordExchange(exchange),
          cache: cache.api,
          override: routeOverride,
          stickyKey: (c) =>
            stickyKeyOf({ userId: c.get('user')?.id, clientKey: clientKeyOf(c, address) }),
          defaultTimeoutMs: config.FACADE_TIMEOUT_MS,
        }),
        // The proxy builds its answers from the edge's headers itself (takeAnswerHeaders).
        deferAnswerHeaders: true,
        entryPoints: {
          admin: '/_facade',
          toggles: '/_facade/api/routes',
          products: '/api/products',
        },
        async stop() {
          await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
        },
      };
    },
  });
