import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import {
  loadUsersServiceConfig,
  startUsersService,
  type UsersService,
  type UsersServiceConfig,
} from '../../../extracted/users-service/index.ts';
import { issueAccessToken, type Role } from '../../../src/platform/auth/access-token.ts';
import type { Database } from '../../../src/platform/db/database.ts';
import { createTestDatabase } from '../../support/services.ts';

export interface RunningUsersService {
  service: UsersService;
  config: UsersServiceConfig;
  db: Database;
  /** A request to the service's app; a body that is not a string is sent as JSON. */
  send(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A valid access token for a made-up (or given) user with these roles. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** users-service started as it runs, on a fresh PostgreSQL database of its own. */
export async function startUsersServiceOnPostgres(label: string): Promise<RunningUsersService> {
  const database = await createTestDatabase(label);
  const config = loadUsersServiceConfig({
    USERS_SERVICE_DATABASE_URL: database.url,
    USERS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'silent',
  });
  const service = await startUsersService(config, pino({ level: 'silent' }));
  const settings = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: 600 };
  return {
    service,
    config,
    db: service.database.db,
    send: async (method, path, { token, body, headers = {} } = {}) =>
      service.app.request(path, {
        method,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    async tokenFor(roles, userId = randomUUID()) {
      return (await issueAccessToken(settings, { id: userId, roles })).token;
    },
    async cleanup() {
      await service.stop();
      await database.drop();
    },
  };
}
