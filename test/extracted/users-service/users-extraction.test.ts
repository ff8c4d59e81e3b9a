import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  replicateAccount,
  USERS_SERVICE_MIGRATIONS,
} from '../../../extracted/users-service/index.ts';
import { legacyRecordToState } from '../../../facade/acl/users-records.ts';
import type { CapabilityExtraction } from '../../../facade/extraction/capability.ts';
import { usersExtraction } from '../../../facade/extraction/users.ts';
import { createUsersModule } from '../../../src/modules/users/index.ts';
import { type Database, openDatabase } from '../../../src/platform/db/database.ts';
import { type ModuleHarness, openModuleHarness } from '../../support/module-harness.ts';
import { createTestDatabase } from '../../support/services.ts';

// usersExtraction on real PostgreSQL: legacy accounts made through the legacy API, copied into
// a users-service database of their own.

let harness: ModuleHarness;
let serviceDb: Database;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  harness = await openModuleHarness('users_extraction_legacy');
  harness.mount(createUsersModule(harness.context, { signingKeys: harness.signingKeys }));
  const database = await createTestDatabase('users_extraction_service');
  const handle = await openDatabase({ url: database.url, dataDir: '', name: 'users-service' });
  await handle.migrate(USERS_SERVICE_MIGRATIONS);
  serviceDb = handle.db;
  cleanups.push(harness.cleanup, async () => {
    await handle.close();
    await database.drop();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function signUp(): Promise<string> {
  const username = `copy-${randomUUID().slice(0, 8)}`;
  const response = await harness.send('POST', '/api/users', {
    body: { username, email: `${username}@example.com`, password: 'a-good-password' },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

const legacyRows = async () =>
  (await usersExtraction.readLegacy(harness.db, undefined, 1_000)).map(({ row }) => row);
const compared = async () => ({
  legacy: (await legacyRows()).map((row) => usersExtraction.compareLegacy(row)),
  service: (await usersExtraction.readService(serviceDb, undefined, 1_000)).map(({ row }) =>
    usersExtraction.compareService(row),
  ),
});

describe('usersExtraction', () => {
  it('is a CapabilityExtraction named users', () => {
    const extraction: CapabilityExtraction = usersExtraction;
    expect(extraction.name).toBe('users');
  });

  it('reads the legacy store page by page in (created_at, id) order, each row once', async () => {
    for (let i = 0; i < 5; i++) await signUp();
    const all = await usersExtraction.readLegacy(harness.db, undefined, 1_000);
    const paged: string[] = [];
    let after: (typeof all)[number]['key'] | undefined;
    for (;;) {
      const page = await usersExtraction.readLegacy(harness.db, after, 2);
      if (page.length === 0) break;
      paged.push(...page.map(({ key }) => key.id));
      after = page.at(-1)?.key;
    }
    expect(paged).toEqual(all.map(({ key }) => key.id));
    expect(new Set(paged).size).toBe(all.length);
  });

  it('copies every legacy account, hash and all, and copies nothing the second time', async () => {
    await signUp();
    const rows = await legacyRows();
    const first = await Promise.all(
      rows.map((row) => usersExtraction.copyToService(serviceDb, row)),
    );
    expect(first).toEqual(rows.map(() => 'copied'));
    const { legacy, service } = await compared();
    expect(service).toEqual(legacy);

    const again = await Promise.all(
      rows.map((row) => usersExtraction.copyToService(serviceDb, row)),
    );
    expect(again).toEqual(rows.map(() => 'unchanged'));
    expect((await compared()).service).toEqual(service);
  });

  it('never overwrites a newer service row with an older legacy one, and copies a newer legacy one', async () => {
    const id = await signUp();
    const record = (await legacyRows()).find((row) => row.id === id)!;
    expect(await usersExtraction.copyToService(serviceDb, record)).toBe('copied');

    // users-service changed the account meanwhile (version 2).
    const newer = legacyRecordToState(record);
    newer.version = 2;
    newer.account.display_name = 'Changed in users-service';
    newer.account.updated_at = new Date().toISOString();
    await replicateAccount(serviceDb, newer);
    expect(await usersExtraction.copyToService(serviceDb, record)).toBe('unchanged');
    const stored = async () =>
      (await usersExtraction.readService(serviceDb, undefined, 1_000)).find(
        ({ row }) => row.account.id === id,
      )?.row;
    expect(await stored()).toEqual(newer);

    // The legacy row moves on past it (version 3): that one is copied.
    const token = await harness.tokenFor(['customer'], id);
    for (const displayName of ['Legacy one', 'Legacy two']) {
      const response = await harness.send('PATCH', '/api/users/me', {
        token,
        body: { displayName },
      });
      expect(response.status).toBe(200);
    }
    const latest = (await legacyRows()).find((row) => row.id === id)!;
    expect(latest.version).toBe(3);
    expect(await usersExtraction.copyToService(serviceDb, latest)).toBe('copied');
    expect(usersExtraction.compareService((await stored())!)).toEqual(
      usersExtraction.compareLegacy(latest),
    );
  });
});
