import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeForwardedUser,
  FORWARDED_USER_HEADER,
} from '../../src/platform/auth/forwarded-user.ts';
import { isOpenServicePath } from '../../src/platform/auth/service-caller.ts';
import { startPaymentsServiceOnPostgres } from './payments-service/harness.ts';
import { startUsersServiceOnPostgres } from './users-service/running-users-service.ts';

// Every route of both services, read from their own OpenAPI documents, tried with every kind of
// credential a call must be refused for: only a trusted caller's token for that service gets in.

interface ServiceUnderTest {
  audience: string;
  app: { request(path: string, init: RequestInit): Response | Promise<Response> };
  authorizations(): Promise<Record<string, string | undefined>>;
  stop(): Promise<void>;
}

const services: Record<string, ServiceUnderTest> = {};

beforeAll(async () => {
  const payments = await startPaymentsServiceOnPostgres('credentials_payments');
  const users = await startUsersServiceOnPostgres('credentials_users');
  services['payments-service'] = {
    audience: 'payments-service',
    app: payments.service.app,
    authorizations: () => payments.caller.authorizations('payments-service'),
    stop: payments.stop,
  };
  services['users-service'] = {
    audience: 'users-service',
    app: users.service.app,
    authorizations: () => users.caller.authorizations('users-service'),
    stop: users.cleanup,
  };
});
afterAll(async () => {
  for (const service of Object.values(services)) await service.stop();
});

const uuid = '6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b';

async function routesOf(service: ServiceUnderTest) {
  const document = (await (await service.app.request('/openapi.json', {})).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{[^}]+\}/g, uuid),
    })),
  );
}

describe.each(['payments-service', 'users-service'])(
  '%s refuses every call without its credentials',
  (name) => {
    it('answers 401 to a missing, forged, expired, untrusted or user token, and 403 to another audience, on every route', async () => {
      const service = services[name]!;
      const guarded = (await routesOf(service)).filter(
        ({ method, path }) => !isOpenServicePath(method, path),
      );
      expect(guarded.length).toBeGreaterThanOrEqual(4);
      const credentials = await service.authorizations();
      const admin = encodeForwardedUser({ id: uuid, roles: ['admin'] });
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const { method, path } of guarded) {
        for (const [kind, authorization] of Object.entries(credentials)) {
          const response = await service.app.request(path, {
            method,
            headers: {
              ...(authorization && { authorization }),
              // A forwarded admin counts for nothing without a verified caller.
              [FORWARDED_USER_HEADER]: admin,
              'content-type': 'application/json',
            },
            ...(method !== 'GET' && { body: '{}' }),
          });
          const refused = response.status === 401 || response.status === 403;
          const problem = response.headers
            .get('content-type')
            ?.includes('application/problem+json');
          seen.push(
            `${kind} ${method} ${path}: ${refused ? `${response.status} ${problem}` : 'let in'}`,
          );
          const expected = { valid: 'let in', wrongAudience: '403 true' }[kind] ?? '401 true';
          wanted.push(`${kind} ${method} ${path}: ${expected}`);
        }
      }
      expect(seen).toEqual(wanted);
    });

    it('leaves health, metrics, docs and the key sets open to anyone', async () => {
      const service = services[name]!;
      for (const path of [
        '/health/live',
        '/health/ready',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/',
      ]) {
        expect((await service.app.request(path, {})).status, path).toBe(200);
      }
    });
  },
);
