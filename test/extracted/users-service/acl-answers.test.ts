import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  legacySuccessBody,
  legacySuccessStatus,
  loginRequest,
  registerRequest,
  type UsersOperation,
  updateMeRequest,
  type V1Request,
} from '../../../facade/acl/users.ts';
import { legacyProblem } from '../../../facade/acl/users-problems.ts';
import { createUsersModule } from '../../../src/modules/users/index.ts';
import type { Problem } from '../../../src/platform/http/problem.ts';
import { type ModuleHarness, openModuleHarness } from '../../support/module-harness.ts';
import { type RunningUsersService, startUsersServiceOnPostgres } from './running-users-service.ts';

// The ACL's answers beside the legacy module's own, for the same legacy requests: the parity
// suite's first slice, on the users errors whose wording the ACL writes itself.

let legacy: ModuleHarness;
let service: RunningUsersService;

beforeAll(async () => {
  [legacy, service] = await Promise.all([
    openModuleHarness('users-acl-legacy'),
    startUsersServiceOnPostgres('users-acl-service'),
  ]);
  legacy.mount(createUsersModule(legacy.context, { signingKeys: legacy.signingKeys }));
});
afterAll(async () => {
  await Promise.all([legacy?.cleanup(), service?.cleanup()]);
});

interface Answer {
  status: number;
  body: unknown;
}

/** Through the ACL to users-service, and back in legacy terms. */
async function viaAcl(
  operation: UsersOperation,
  instance: string,
  request: V1Request,
  token?: string,
): Promise<Answer> {
  const response = await service.send(request.method, request.path, { body: request.body, token });
  const body = await response.json();
  if (response.status >= 400) return legacyProblem(body as Problem, { instance });
  return {
    status: legacySuccessStatus(operation, response.status),
    body: legacySuccessBody(operation, body),
  };
}

async function direct(
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Answer> {
  const response = await legacy.send(method, path, { body, token });
  return { status: response.status, body: await response.json() };
}

/** Ids, timestamps and tokens differ between the two stores; everything else must not. */
const normalised = ({ status, body }: Answer) => ({
  status,
  body: JSON.parse(
    JSON.stringify(body)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
      .replace(/"accessToken":"[^"]+"/g, '"accessToken":"<token>"'),
  ),
});

const registration = {
  username: `pair_${randomUUID().slice(0, 8)}`,
  email: `pair.${randomUUID().slice(0, 8)}@example.com`,
  password: 'pair-password',
  displayName: 'Pair',
};

describe('the users ACL answers what the legacy API answers', () => {
  it('for sign-ups, good and bad', async () => {
    const bodies: unknown[] = [
      registration,
      { ...registration, email: 'other@example.com' },
      { ...registration, username: 'other_name' },
      { username: 'ab', email: 'nope', password: 'short', displayName: '' },
      { ...registration, displayName: 'a\u0007b' },
      {},
      [],
    ];
    for (const body of bodies) {
      const [expected, actual] = await Promise.all([
        direct('POST', '/api/users', body),
        viaAcl('register', '/api/users', registerRequest(body)),
      ]);
      expect(normalised(actual), JSON.stringify(body)).toEqual(normalised(expected));
    }
  });

  it('for sign-ins, good and bad', async () => {
    for (const body of [
      { login: registration.username, password: registration.password },
      { login: registration.email.toUpperCase(), password: registration.password },
      { login: registration.username, password: 'wrong-password' },
      { login: 'nobody', password: 'wrong-password' },
      { login: '' },
    ]) {
      const [expected, actual] = await Promise.all([
        direct('POST', '/api/auth/login', body),
        viaAcl('login', '/api/auth/login', loginRequest(body)),
      ]);
      expect(normalised(actual), JSON.stringify(body)).toEqual(normalised(expected));
    }
  });

  it('for changes to your own account, good and bad', async () => {
    const signIn = async (
      send: (m: string, p: string, o: { body: unknown }) => Promise<Response>,
      path: string,
    ) =>
      (await (
        await send('POST', path, {
          body: { login: registration.username, password: registration.password },
        })
      ).json()) as Record<string, unknown>;
    const legacySession = await signIn(legacy.send, '/api/auth/login');
    const v1Session = await signIn(service.send, '/v1/sessions');
    const legacyToken = legacySession.accessToken as string;
    const v1Token = v1Session.access_token as string;
    const v1Id = (v1Session.account as { id: string }).id;
    for (const body of [
      { displayName: 'Renamed' },
      { username: 'other_name' },
      { password: 'brand-new-secret' },
      { password: 'brand-new-secret', currentPassword: 'not-the-password' },
      { email: 'nope' },
      {},
    ]) {
      const [expected, actual] = await Promise.all([
        direct('PATCH', '/api/users/me', body, legacyToken),
        viaAcl('updateMe', '/api/users/me', updateMeRequest(v1Id, body), v1Token),
      ]);
      expect(normalised(actual), JSON.stringify(body)).toEqual(normalised(expected));
    }
  });
});
