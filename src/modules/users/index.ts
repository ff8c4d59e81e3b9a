// The users module's public surface. Other code imports the module only through this file.
import { userTokensRevoked } from '../../contracts/users/v1/token-events.ts';
import { accessTokenIssuer } from '../../platform/auth/access-token.ts';
import type { AuthConfig } from '../../platform/auth/auth-config.ts';
import type { SigningKeySet } from '../../platform/auth/signing-keys.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import {
  type AdminAccountInput,
  type EnsureAdminResult,
  ensureAdminAccount,
} from './admin-account.ts';
import type { UsersConfig } from './config.ts';
import { type UserStats, type UserSummary, userIdSchema } from './contracts.ts';
import { userChanged, userRegistered, userUpdated } from './events.ts';
import { replicateFromService } from './replication.ts';
import { usersRoutes } from './routes.ts';
import { users } from './schema.ts';
import { seedUsers } from './seed.ts';
import {
  type AccountDeps,
  countUsers,
  findUser,
  toUserSummary,
  type UsersDeps,
} from './service.ts';

export {
  type AdminAccountInput,
  adminAccountSchema,
  type EnsureAdminResult,
} from './admin-account.ts';
export { type UsersConfig, usersConfig } from './config.ts';
export type { User, UserStats, UserSummary } from './contracts.ts';
/** The legacy HTTP API's shapes, for the ACL (facade/acl/users.ts) and its tests. */
/** Keeping both users stores in step, for the extraction's backfill and verifier. */
export {
  type AccessToken,
  type AccountRecord,
  accessTokenSchema,
  accountRecordSchema,
  type LoginInput,
  loginSchema,
  type RegisterInput,
  registerSchema,
  type UpdateMeInput,
  updateMeSchema,
  userSchema,
} from './contracts.ts';
export * from './events.ts';
export { accountRecordsAfter, REPLICATE_FROM_SERVICE } from './replication.ts';
/** The demo sign-ins the seed creates, for the entry point to print. */
export { DEMO_ACCOUNTS } from './seed.ts';

/** What other modules (notifications, the admin dashboard) may ask, through their own ports. */
export interface UsersApi {
  /** An account's public facts; undefined when the id is unknown or not a uuid. */
  getUser(id: string): Promise<UserSummary | undefined>;
  stats(): Promise<UserStats>;
}

/** The settings the users module reads: the tokens' issuer, and their lifetime. */
export type UsersModuleContext = ModuleContext<Pick<AuthConfig, 'JWT_ISSUER'> & UsersConfig>;

/** What the composition root hands the module beyond its context. */
export interface UsersModuleOptions {
  /** The users side's signing keys (loadUsersSigningKeys): the module signs with the current one. */
  signingKeys: SigningKeySet;
  /**
   * The component the module runs in (default `monolith`): it skips the `user.changed` events
   * that component published itself.
   */
  component?: string;
}

function accountDeps({ db, events }: UsersModuleContext): AccountDeps {
  return { db, events };
}

/**
 * Creates an admin unless one of that username exists (`npm run admin:create`): production's
 * first admin, as it never gets demo accounts. An existing non-admin of that username is a 409,
 * never a silent promotion.
 */
export function ensureAdmin(
  context: UsersModuleContext,
  input: AdminAccountInput,
): Promise<EnsureAdminResult> {
  return ensureAdminAccount(accountDeps(context), input);
}

export function createUsersModule(
  context: UsersModuleContext,
  { signingKeys, component = 'monolith' }: UsersModuleOptions,
): Module<UsersApi> {
  const deps: UsersDeps = {
    ...accountDeps(context),
    tokens: accessTokenIssuer(signingKeys, {
      issuer: context.config.JWT_ISSUER,
      ttlSeconds: context.config.JWT_TTL_SECONDS,
    }),
  };
  return defineModule<UsersApi>({
    name: 'users',
    schema: users,
    routes: usersRoutes(deps),
    publishes: [userRegistered, userUpdated, userTokensRevoked, userChanged],
    // users-service's writes, into this store (the other half is its replicate-from-legacy).
    subscriptions: [replicateFromService(component)],
    seed: async () => {
      const created = await seedUsers(deps);
      if (created > 0) context.logger.info({ accounts: created }, 'users demo accounts seeded');
    },
    api: {
      getUser: async (id) => {
        if (!userIdSchema.safeParse(id).success) return undefined;
        const user = await findUser(deps.db, id);
        return user && toUserSummary(user);
      },
      stats: async () => ({ users: await countUsers(deps.db) }),
    },
  });
}
