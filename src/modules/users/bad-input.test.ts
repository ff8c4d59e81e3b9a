import { isDeepStrictEqual } from 'node:util';
import { count } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { outbox } from '../../platform/bus/schema.ts';
import type { Database } from '../../platform/db/database.ts';
import { createUsersModule } from './index.ts';
import { accounts } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let harness: ModuleHarness;
let token: string;

beforeAll(async () => {
  harness = await openModuleHarness('users-bad-input');
  ({ db, cleanup } = harness);
  harness.mount(createUsersModule(harness.context, { signingKeys: harness.signingKeys }));
  const register = await harness.send('POST', '/api/users', {
    body: { username: 'fuzzed', email: 'fuzzed@example.com', password: 'fuzz-secret' },
  });
  const { id } = (await register.json()) as { id: string };
  token = await harness.tokenFor(['customer'], id);
});
afterAll(async () => {
  await cleanup();
});

const state = async () => ({
  accounts: (await db.select({ total: count() }).from(accounts))[0]?.total,
  events: (await db.select({ total: count() }).from(outbox))[0]?.total,
});

const valid = { username: 'valid_name', email: 'valid@example.com', password: 'valid-password' };
const fields = ['username', 'email', 'password', 'displayName', 'login', 'currentPassword'];

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

describe('bad input never yields a 5xx and never changes state', () => {
  it.each([
    ['POST', '/api/users'],
    ['POST', '/api/auth/login'],
    ['PATCH', '/api/users/me'],
  ])('%s %s', async (method, path) => {
    await fc.assert(
      fc.asyncProperty(mutatedBody, async (body) => {
        const before = await state();
        // Stringified here, so that a JSON string value is sent as JSON too.
        const response = await harness.send(method, path, { token, body: JSON.stringify(body) });
        expect(response.status).toBeLessThan(500);
        // Only a body that happens to be valid may write (a sign-up or a real change).
        const after = await state();
        expect(
          response.status < 400 || isDeepStrictEqual(after, before),
          `answered ${response.status} and changed the accounts to ${JSON.stringify(after)}`,
        ).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('GET /api/users/{id} with junk ids answers 400 or 404', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (id) => {
        const response = await harness.send('GET', `/api/users/${encodeURIComponent(id)}`, {
          token,
        });
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });
});
