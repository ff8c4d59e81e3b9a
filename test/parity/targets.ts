import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createPaymentsServiceComponent,
  loadPaymentsServiceConfig,
} from '../../extracted/payments-service/index.ts';
import { insertAccount } from '../../extracted/users-service/create-account.ts';
import {
  createUsersServiceComponent,
  loadUsersServiceConfig,
} from '../../extracted/users-service/index.ts';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import { ensureAdmin } from '../../src/modules/users/index.ts';
import { startMonolith } from '../../src/monolith.ts';
import { loadMonolithConfig } from '../../src/monolith-config.ts';
import { hashPassword } from '../../src/platform/auth/passwords.ts';
import { createInProcessBroker } from '../../src/platform/bus/in-process-broker.ts';
import { startComponent } from '../../src/platform/component/start-component.ts';
import { signingKeyEnv } from '../support/access-tokens.ts';
import { ACL_GATEWAY_REVOCATIONS, startAclGateway } from '../support/acl-gateway.ts';
import { testServiceCaller } from '../support/service-credentials.ts';
import { createTestDatabase } from '../support/services.ts';

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

/** (b) users-service and payments-service, each on its own database, through the ACL gateway. */
export async function startServicesTarget(): Promise<ParityTarget> {
  const [usersDb, paymentsDb] = await Promise.all([
    createTestDatabase('parity-users'),
    createTestDatabase('parity-payments'),
  ]);
  const gatewayCaller = testServiceCaller('facade');
  // No Redis: the services and the gateway meet on one broker, as the single-process run does.
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
  const users = await startComponent(
    createUsersServiceComponent({ trustedCallers: gatewayCaller.trustedCallers }),
    usersConfig,
    silent,
    { broker, remoteSubscribers: { [userTokensRevoked.name]: [ACL_GATEWAY_REVOCATIONS] } },
  );
  const payments = await startComponent(
    createPaymentsServiceComponent({ trustedCallers: gatewayCaller.trustedCallers }),
    loadPaymentsServiceConfig({
      PAYMENTS_SERVICE_DATABASE_URL: paymentsDb.url,
      PAYMENTS_SERVICE_PORT: '0',
      HOST: '127.0.0.1',
    }),
    silent,
    { broker },
  );
  const gateway = await startAclGateway({
    usersServiceUrl: users.url,
    paymentsServiceUrl: payments.url,
    issuer: usersConfig.JWT_ISSUER,
    serviceTokens: gatewayCaller.tokens,
    broker,
  });
  return {
    name: 'services through the ACL',
    baseUrl: gateway.url,
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
      await gateway.stop();
      await Promise.all([payments.stop(), users.stop()]);
      await Promise.all([usersDb.drop(), paymentsDb.drop()]);
    },
  };
}
