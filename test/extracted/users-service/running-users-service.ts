import { pino } from 'pino';
import {
  createUsersServiceComponent,
  loadUsersServiceConfig,
  type UsersService,
  type UsersServiceConfig,
} from '../../../extracted/users-service/index.ts';
import type { Role } from '../../../src/platform/auth/access-token.ts';
import { startComponent } from '../../../src/platform/component/start-component.ts';
import type { Database } from '../../../src/platform/db/database.ts';
import { signingKeyEnv } from '../../support/access-tokens.ts';
import {
  forwardedUser,
  sendAsCaller,
  testServiceCaller,
} from '../../support/service-credentials.ts';
import { createTestDatabase } from '../../support/services.ts';

export interface RunningUsersService {
  service: UsersService;
  config: UsersServiceConfig;
  db: Database;
  /** The component calling it (the facade): its service tokens are trusted by the service. */
  caller: ReturnType<typeof testServiceCaller>;
  /**
   * A request to the service's app as a trusted caller makes it: a valid service token, and
   * `token` (from tokenFor) forwarding an end user. A body that is not a string is sent as JSON.
   */
  send(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A made-up (or given) end user with these roles, for `send` to forward. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** users-service started as it runs, on a fresh PostgreSQL database of its own. */
export async function startUsersServiceOnPostgres(
  label: string,
  env: Record<string, string> = {},
): Promise<RunningUsersService> {
  const database = await createTestDatabase(label);
  const config = loadUsersServiceConfig({
    USERS_SERVICE_DATABASE_URL: database.url,
    USERS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'silent',
    // Keys of its own, so no test writes a key file into the checkout.
    USERS_SIGNING_KEYS: signingKeyEnv().USERS_SIGNING_KEYS,
    ...env,
  });
  const caller = testServiceCaller('facade');
  const service = await startComponent(
    createUsersServiceComponent({ trustedCallers: caller.trustedCallers }),
    config,
    pino({ level: 'silent' }),
  );
  return {
    service,
    config,
    caller,
    db: service.database.db,
    send: sendAsCaller(service.app, caller, 'users-service'),
    tokenFor: forwardedUser,
    async cleanup() {
      await service.stop();
      await database.drop();
    },
  };
}
