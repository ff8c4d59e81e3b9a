// users-service: accounts and sessions, standalone, on its own database. Its composition root:
// config slice, database and migrations, the accounts module, how callers authenticate.

import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { EVENT_CONSUMERS, remoteSubscribersOf } from '../../src/contracts/event-consumers.ts';
import { jwksRoutes } from '../../src/platform/auth/jwks-routes.ts';
import {
  requireServiceCaller,
  type ServiceCallerOptions,
} from '../../src/platform/auth/service-caller.ts';
import { loadUsersSigningKeys } from '../../src/platform/auth/signing-keys.ts';
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
/** Keeping both users stores in step, for the extraction's backfill and verifier. */
export { accountStatesAfter, REPLICATE_FROM_LEGACY, replicateAccount } from './replication.ts';
export { DEMO_ACCOUNTS } from './seed.ts';

/** Its migrations folder: what its database is migrated with (the extraction's tests open one). */
export const USERS_SERVICE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export interface UsersServiceOptions {
  /**
   * The components allowed to call, with their keys at hand (the single-process run, tests);
   * without it, SERVICE_TRUSTED_CALLERS names them and where their keys are published.
   */
  trustedCallers?: ServiceCallerOptions['trustedCallers'];
}

/** users-service as a component. */
export const createUsersServiceComponent = (options: UsersServiceOptions = {}) =>
  defineComponent<UsersServiceConfig>({
    name: 'users-service',
    routePrefix: '',
    // The legacy users module's writes, while both stores live.
    consumes: EVENT_CONSUMERS['users-service'],
    remoteSubscribers: remoteSubscribersOf('users-service'),
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
      // A users side: it signs with the users keys (the legacy module's, in one process).
      const signingKeys = loadUsersSigningKeys(config);
      const tokens = platformTokenIssuer(signingKeys, {
        issuer: config.JWT_ISSUER,
        ttlSeconds: config.USERS_SERVICE_JWT_TTL_SECONDS,
      });
      return {
        modules: [createAccountsModule(context, tokens, context.component)],
        // Only trusted components call it (the facade, the monolith), each with a service token;
        // the end user they act for comes forwarded.
        authenticate: requireServiceCaller({
          audience: 'users-service',
          trustedCallers: options.trustedCallers ?? config.SERVICE_TRUSTED_CALLERS,
        }),
        mount(app) {
          app.route(
            '/',
            jwksRoutes({
              path: '/.well-known/jwks.json',
              operationId: 'getUsersJwks',
              summary: "The users side's public keys, which verify its access tokens",
              keys: () => signingKeys.publicJwks(),
            }),
          );
        },
        entryPoints: {
          createAccount: '/v1/accounts',
          account: '/v1/accounts/{id}',
          createSession: '/v1/sessions',
          jwks: '/.well-known/jwks.json',
        },
      };
    },
  });

export const usersServiceComponent = createUsersServiceComponent();

export type UsersService = RunningComponent;

/** Opens its database (PGlite unless USERS_SERVICE_DATABASE_URL), migrates, serves. */
export function startUsersService(
  config: UsersServiceConfig,
  logger: Logger,
): Promise<UsersService> {
  return startComponent(usersServiceComponent, config, logger);
}
