import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect } from 'vitest';
import {
  createPaymentsServiceComponent,
  loadPaymentsServiceConfig,
} from '../../extracted/payments-service/index.ts';
import { insertAccount } from '../../extracted/users-service/create-account.ts';
import {
  createUsersServiceComponent,
  loadUsersServiceConfig,
} from '../../extracted/users-service/index.ts';
import { createFacadeComponent, loadFacadeConfig } from '../../facade/index.ts';
import { routeTable } from '../../facade/routes/route-table.ts';
import { createToggleStore } from '../../facade/toggles/store.ts';
import { EVENT_CONSUMERS } from '../../src/contracts/event-consumers.ts';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import { ensureAdmin } from '../../src/modules/users/index.ts';
import { startMonolith } from '../../src/monolith.ts';
import { loadMonolithConfig } from '../../src/monolith-config.ts';
import { hashPassword } from '../../src/platform/auth/passwords.ts';
import { createInProcessBroker } from '../../src/platform/bus/in-process-broker.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../src/platform/component/start-component.ts';
import { signingKeyEnv } from '../support/access-tokens.ts';
import { testServiceCaller } from '../support/service-credentials.ts';
import { createTestDatabase, eventually } from '../support/services.ts';

/** The facade's edge refuses a revoked token only if users-service tells it of the revocation. */
const FACADE_REVOCATIONS = EVENT_CONSUMERS.facade[userTokensRevoked.name];

/** An admin's sign-in, made directly in the target's users store (no API makes admins). */
export interface AdminAccount {
  username: string;
  email: string;
  password: string;
}

/** What the parity suite runs against: a base URL serving the legacy API, and its setup hook. */
export interface ParityTarget {
  name: string;
  baseUrl: string;
  createAdmin(account: AdminAccount): Promise<void>;
  stop(): Promise<void>;
}

const silent = pino({ level: 'silent' });

/** (a) The monolith's legacy routes, on its own fresh PostgreSQL database. */
export async function startMonolithTarget(): Promise<ParityTarget> {
  const database = await createTestDatabase('parity-monolith');
  const dataDir = await mkdtemp(join(tmpdir(), 'parity-monolith-'));
  const config = loadMonolithConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    MONOLITH_PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'false',
    EVENT_RETRY_BASE_MS: '50',
    ...signingKeyEnv(),
  });
  const monolith = await startMonolith(config, silent);
  return {
    name: 'monolith',
    baseUrl: monolith.url,
    async createAdmin(account) {
      await ensureAdmin(
        { config, db: monolith.database.db, events: monolith.bus, logger: silent },
        account,
      );
    },
    async stop() {
      await monolith.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** (b) users-service and payments-service, each on its own database, through the facade. */
export async function startServicesTarget(): Promise<ParityTarget> {
  const [usersDb, paymentsDb, facadeDb] = await Promise.all([
    createTestDatabase('parity-users'),
    createTestDatabase('parity-payments'),
    createTestDatabase('parity-facade'),
  ]);
  const facadeCaller = testServiceCaller('facade');
  // No Redis: the services and the facade meet on one broker, as the single-process run does.
  const broker = createInProcessBroker();
  const usersConfig = loadUsersServiceConfig({
    USERS_SERVICE_DATABASE_URL: usersDb.url,
    USERS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'false',
    EVENT_RETRY_BASE_MS: '50',
    // Keys of its own, so nothing is written into the checkout's .data.
    USERS_SIGNING_KEYS: signingKeyEnv().USERS_SIGNING_KEYS,
  });
  // Only the facade consumes here: the default subscribers include the monolith's, which never
  // join this broker, so every event naming them would wait in the outbox.
  const users = await startComponent(
    createUsersServiceComponent({ trustedCallers: facadeCaller.trustedCallers }),
    usersConfig,
    silent,
    {
      broker,
      remoteSubscribers: { [userTokensRevoked.name]: [...FACADE_REVOCATIONS] },
    },
  );
  const payments = await startComponent(
    createPaymentsServiceComponent({ trustedCallers: facadeCaller.trustedCallers }),
    loadPaymentsServiceConfig({
      PAYMENTS_SERVICE_DATABASE_URL: paymentsDb.url,
      PAYMENTS_SERVICE_PORT: '0',
      HOST: '127.0.0.1',
    }),
    silent,
    { broker, remoteSubscribers: {} },
  );
  const facade = await startComponent(
    createFacadeComponent(),
    loadFacadeConfig({
      FACADE_DATABASE_URL: facadeDb.url,
      FACADE_PORT: '0',
      HOST: '127.0.0.1',
      // No monolith here: every route the suite calls has a new side, and is retired below.
      FACADE_MONOLITH_URLS: await closedPortUrl(),
      FACADE_USERS_SERVICE_URLS: users.url,
      FACADE_PAYMENTS_SERVICE_URLS: payments.url,
      FACADE_USERS_JWKS_URL: new URL('/.well-known/jwks.json', users.url).href,
      JWT_ISSUER: usersConfig.JWT_ISSUER,
      SERVICE_SIGNING_KEY: JSON.stringify(facadeCaller.privateJwk),
      FACADE_REPLICA_ID: 'parity-facade',
      FACADE_TOGGLE_POLL_MS: '100',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
      CATALOG_CACHE_TTL_MS: '0',
      EVENT_RETRY_BASE_MS: '50',
    }),
    silent,
    { broker },
  );
  await retireEveryNewSide(facade);
  return {
    name: 'services through the facade',
    baseUrl: facade.url,
    async createAdmin({ username, email, password }) {
      const passwordHash = await hashPassword(password);
      await users.database.db.transaction((tx) =>
        insertAccount(tx, users.bus, {
          login_name: username,
          email_address: email,
          passwordHash,
          roles: ['admin'],
        }),
      );
    },
    async stop() {
      await facade.stop();
      await Promise.all([payments.stop(), users.stop()]);
      await Promise.all([usersDb.drop(), paymentsDb.drop(), facadeDb.drop()]);
    },
  };
}

/**
 * Moves every route with a new side to `retired`, as an operator would (forced: there is no
 * shadow parity to pass the gate with), through the facade's database, and waits until the
 * running facade reports the last version applied.
 */
async function retireEveryNewSide(facade: RunningComponent): Promise<void> {
  const operator = createToggleStore({
    db: facade.database.db,
    prefix: 'unused',
    replicaId: 'parity-operator',
    pollMs: 1_000,
  });
  let version = 0;
  for (const entry of routeTable.filter((route) => route.new !== undefined)) {
    ({ version } = await operator.change({
      routeId: entry.id,
      mode: 'retired',
      reason: 'parity suite: the services serve every route they can',
      changedBy: 'parity-suite',
      forced: true,
    }));
  }
  await eventually(async () => {
    const { items } = await operator.replicas();
    const applied = items.find((replica) => replica.replicaId === 'parity-facade');
    expect(applied?.appliedVersion).toBe(version);
  });
}

/** A URL nothing listens on: its port was free a moment ago, and is closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}`;
}
