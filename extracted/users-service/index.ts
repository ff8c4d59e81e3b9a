// users-service: accounts and sessions, standalone, on its own database. Its composition root:
// config slice, database and migrations, the accounts module, how callers authenticate.
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { authenticate } from '../../src/platform/auth/authenticate.ts';
import { defineComponent } from '../../src/platform/component/component.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../src/platform/component/start-component.ts';
import { createAccountsModule } from './accounts-module.ts';
import type { UsersServiceConfig } from './config.ts';
import { platformTokenIssuer } from './token-issuer.ts';

export {
  loadUsersServiceConfig,
  type UsersServiceConfig,
  usersServiceConfigSchema,
} from './config.ts';
export { DEMO_ACCOUNTS } from './seed.ts';

export const USERS_SERVICE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export const usersServiceComponent = defineComponent<UsersServiceConfig>({
  name: 'users-service',
  routePrefix: '',
  port: (config) => ({ port: config.USERS_SERVICE_PORT, setting: 'USERS_SERVICE_PORT' }),
  database: (config) => ({
    url: config.USERS_SERVICE_DATABASE_URL,
    migrations: USERS_SERVICE_MIGRATIONS,
  }),
  about: {
    title: 'users-service',
    version: '1.0.0',
    description:
      'Accounts and sessions (sign-up, sign-in, profile), extracted from the monolith: API v1 of the users contract.',
    tags: [
      {
        name: 'accounts',
        description: 'Accounts, and the sessions (access tokens) they sign in to',
      },
      { name: 'operations', description: 'What this component serves, and where' },
    ],
  },
  build(context) {
    const { config } = context;
    const tokens = platformTokenIssuer({
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      ttlSeconds: config.USERS_SERVICE_JWT_TTL_SECONDS,
    });
    return {
      modules: [createAccountsModule(context, tokens)],
      // Until service credentials land: the platform's access-token check sets `c.var.user`.
      authenticate: authenticate({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER }),
      entryPoints: {
        createAccount: '/v1/accounts',
        account: '/v1/accounts/{id}',
        createSession: '/v1/sessions',
      },
    };
  },
});

export type UsersService = RunningComponent;

/** Opens its database (PGlite unless USERS_SERVICE_DATABASE_URL), migrates, serves. */
export function startUsersService(
  config: UsersServiceConfig,
  logger: Logger,
): Promise<UsersService> {
  return startComponent(usersServiceComponent, config, logger);
}
