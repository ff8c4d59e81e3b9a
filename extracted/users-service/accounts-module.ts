import {
  userChanged,
  userRegistered,
  userTokensRevoked,
  userUpdated,
} from '../../src/contracts/users/v1/index.ts';
import { createIdempotencyStore } from '../../src/platform/http/idempotency/store.ts';
import { defineModule, type Module, type ModuleContext } from '../../src/platform/module.ts';
import type { AccountsDeps } from './deps.ts';
import { replicateFromLegacy } from './replication.ts';
import { accountsRoutes } from './routes.ts';
import { idempotencyRecords, users } from './schema.ts';
import { seedAccounts } from './seed.ts';
import type { TokenIssuer } from './token-issuer.ts';

/**
 * users-service's business logic as one platform module, on the service's own `users` schema.
 * `component` is its component's name: the `user.changed` events it published are skipped.
 */
export function createAccountsModule(
  context: ModuleContext,
  tokens: TokenIssuer,
  component: string,
): Module {
  const deps: AccountsDeps = {
    db: context.db,
    events: context.events,
    tokens,
    idempotency: createIdempotencyStore(context.db, idempotencyRecords, { logger: context.logger }),
  };
  return defineModule({
    name: 'users',
    schema: users,
    routes: accountsRoutes(deps),
    publishes: [userRegistered, userUpdated, userTokensRevoked, userChanged],
    // The legacy module's writes, into this store (the other half is its replicate-from-service).
    subscriptions: [replicateFromLegacy(component)],
    seed: async () => {
      const created = await seedAccounts(deps);
      if (created > 0) context.logger.info({ accounts: created }, 'demo accounts seeded');
    },
    prune: (olderThanMs, limit) => deps.idempotency.prune(olderThanMs, limit),
    api: {},
  });
}
