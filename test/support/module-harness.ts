import { randomUUID } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import { loadMonolithConfig, type MonolithConfig } from '../../src/monolith-config.ts';
import { accessTokenIssuer, type Role } from '../../src/platform/auth/access-token.ts';
import {
  accessTokenVerifier,
  type RevocationList,
} from '../../src/platform/auth/access-token-verifier.ts';
import { authenticate } from '../../src/platform/auth/authenticate.ts';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';
import { publicKeySource } from '../../src/platform/auth/key-source.ts';
import { type SigningKeySet, signingKeySet } from '../../src/platform/auth/signing-keys.ts';
import { tokenRevocations } from '../../src/platform/auth/token-revocations.ts';
import { createEventBus, type EventBus } from '../../src/platform/bus/event-bus.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import type { Module, ModuleContext } from '../../src/platform/module.ts';
import { openMigratedTestDatabase } from './services.ts';

export interface SendOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const TWO_HOURS_MS = 2 * 60 * 60 * 1000;

export interface ModuleHarness {
  db: Database;
  /** The test database's URL, for a second connection pool (another process, say). */
  url: string;
  bus: EventBus;
  context: ModuleContext<MonolithConfig>;
  /** The users side's keys the apps' tokens are signed with (give them to the users module). */
  signingKeys: SigningKeySet;
  /**
   * The apps' revocation list, fed by `user.tokens_revoked` once started (`startRevocations`);
   * until then nothing is revoked.
   */
  revocations: Module<RevocationList>;
  /** Subscribes the revocation list to the bus and loads it; the test starts the bus. */
  startRevocations(): Promise<void>;
  /** An app built like the monolith's; `mount` adds a module's routes under /api. */
  app: OpenAPIHono<AppEnv>;
  mount(module: Module): void;
  /** Another app built the same way, serving just `module`'s routes. */
  appFor(module: Module): OpenAPIHono<AppEnv>;
  /** A valid access token for a made-up (or given) user with these roles. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
  /** Signed like `tokenFor`'s, but issued two hours ago with a ten-minute lifetime. */
  expiredTokenFor(roles: Role[], userId?: string): Promise<string>;
  /** Well-formed and naming the real key id, but signed with another key. */
  forgedTokenFor(roles: Role[], userId?: string): Promise<string>;
  /**
   * A request to `app`: a bearer token when given; a body that is not a string is sent as JSON,
   * and any body is labelled application/json unless `headers` says otherwise.
   */
  send(method: string, path: string, options?: SendOptions): Promise<Response>;
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
  const config = loadMonolithConfig(env);
  const context: ModuleContext<MonolithConfig> = { config, db, events: bus, logger };
  const signingKeys = signingKeySet([generatePrivateJwk()]);
  const revocations = tokenRevocations({ component: 'test', db, logger, event: userTokensRevoked });
  const verifier = accessTokenVerifier({
    issuer: config.JWT_ISSUER,
    keys: publicKeySource({ jwks: signingKeys.publicJwks() }),
    revocations: revocations.api,
  });
  const newApp = () =>
    createHttpApp({
      logger,
      metrics: createMetrics('test'),
      bodyLimitBytes: 1_000_000,
      authenticate: authenticate(verifier),
    });
  const app = newApp();
  const settings = { issuer: config.JWT_ISSUER, ttlSeconds: 600 };
  const issuer = accessTokenIssuer(signingKeys, settings);
  // Another key under the real key's id: only the signature tells them apart.
  const forgedKey = { ...generatePrivateJwk(), kid: signingKeys.current.kid };
  const forger = accessTokenIssuer(signingKeySet([forgedKey]), settings);
  let revocationsStarted = false;
  return {
    db,
    url: test.url,
    bus,
    context,
    signingKeys,
    revocations,
    async startRevocations() {
      bus.subscribe(...(revocations.subscriptions ?? []));
      await revocations.start?.();
      revocationsStarted = true;
    },
    app,
    async tokenFor(roles, userId = randomUUID()) {
      return (await issuer.issue({ id: userId, roles })).token;
    },
    async expiredTokenFor(roles, userId = randomUUID()) {
      return (await issuer.issue({ id: userId, roles }, Date.now() - TWO_HOURS_MS)).token;
    },
    async forgedTokenFor(roles, userId = randomUUID()) {
      return (await forger.issue({ id: userId, roles })).token;
    },
    async send(method, path, { token, body, headers = {} } = {}) {
      return app.request(path, {
        method,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    },
    mount(module) {
      if (module.routes) app.route('/api', module.routes);
    },
    appFor(module) {
      const other = newApp();
      if (module.routes) other.route('/api', module.routes);
      return other;
    },
    async cleanup() {
      if (revocationsStarted) await revocations.stop?.();
      await bus.stop();
      await test.cleanup();
    },
  };
}
