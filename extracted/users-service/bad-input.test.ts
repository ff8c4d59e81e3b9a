import { isDeepStrictEqual } from 'node:util';
import { count } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../src/contracts/users/v1/index.ts';
import { outbox } from '../../src/platform/bus/schema.ts';
import { PROBLEM_CONTENT_TYPE } from '../../src/platform/http/problem.ts';
import {
  type RunningUsersService,
  startUsersServiceOnPostgres,
} from '../../test/extracted/users-service/running-users-service.ts';
import { accounts, idempotencyRecords } from './schema.ts';

let running: RunningUsersService;
let account: Account;
let token: string;

beforeAll(async () => {
  running = await startUsersServiceOnPostgres('users-service-bad-input');
  const created = await running.send('POST', '/v1/accounts', {
    body: { login_name: 'fuzzed', email_address: 'fuzzed@example.com', password: 'fuzz-secret' },
  });
  account = (await created.json()) as Account;
  token = await running.tokenFor(['customer'], account.id);
});
afterAll(async () => {
  await running.cleanup();
});

const state = async () => ({
  accounts: (await running.db.select({ total: count() }).from(accounts))[0]?.total,
  events: (await running.db.select({ total: count() }).from(outbox))[0]?.total,
  keys: (await running.db.select({ total: count() }).from(idempotencyRecords))[0]?.total,
});

const valid = {
  login_name: 'valid_name',
  email_address: 'valid@example.com',
  password: 'valid-password',
};
const fields = [
  'login_name',
  'email_address',
  'password',
  'display_name',
  'login',
  'current_password',
];

/** Valid bodies with one field replaced by junk, and arbitrary JSON. */
const mutatedBody = fc.oneof(
  fc.jsonValue(),
  fc
    .record({
      field: fc.constantFrom(...fields),
      value: fc.oneof(
        fc.jsonValue(),
        fc.string({ maxLength: 400 }),
        // Any code point, NUL and lone surrogates included: PostgreSQL refuses some of them.
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.constantFrom('', ' ', 'ab', 'a'.repeat(300), '@', 'x@', '\u0000', '../../etc'),
      ),
    })
    .map(({ field, value }) => ({ ...valid, [field]: value })),
);

describe('bad input never yields a 5xx, is answered as problem+json, and changes nothing', () => {
  it.each([
    ['POST', '/v1/accounts'],
    ['POST', '/v1/sessions'],
    ['PATCH', '/v1/accounts/{id}'],
  ])('%s %s', async (method, template) => {
    const path = template.replace('{id}', account.id);
    await fc.assert(
      fc.asyncProperty(mutatedBody, async (body) => {
        const before = await state();
        const response = await running.send(method, path, { token, body: JSON.stringify(body) });
        const after = await state();
        const refused = response.status >= 400;
        expect(response.status).toBeLessThan(500);
        expect(
          !refused || response.headers.get('content-type')?.includes(PROBLEM_CONTENT_TYPE),
        ).toBe(true);
        // Only a body that happens to be valid may write (a sign-up or a real change).
        expect(
          !refused || isDeepStrictEqual(after, before),
          `answered ${response.status} and changed the state to ${JSON.stringify(after)}`,
        ).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('GET /v1/accounts/{id} with junk ids answers 400 or 404', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (id) => {
        const response = await running.send('GET', `/v1/accounts/${encodeURIComponent(id)}`, {
          token,
        });
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });

  it('a junk Idempotency-Key is a 400 and leaves no record', async () => {
    const before = await state();
    for (const key of ['', 'k'.repeat(201)]) {
      const response = await running.send('POST', '/v1/accounts', {
        body: valid,
        headers: { 'idempotency-key': key },
      });
      expect(response.status, JSON.stringify(key)).toBe(400);
    }
    expect(await state()).toEqual(before);
  });
});
