import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUsersServiceComponent,
  loadUsersServiceConfig,
  DEMO_ACCOUNTS as serviceDemoAccounts,
} from '../../../extracted/users-service/index.ts';
import { accounts as serviceAccounts } from '../../../extracted/users-service/schema.ts';
import { usersExtraction } from '../../../facade/extraction/users.ts';
import { DEMO_ACCOUNTS as legacyDemoAccounts } from '../../../src/modules/users/index.ts';
import { monolithComponent } from '../../../src/monolith.ts';
import { loadMonolithConfig } from '../../../src/monolith-config.ts';
import type { Role } from '../../../src/platform/auth/access-token.ts';
import {
  encodeForwardedUser,
  FORWARDED_USER_HEADER,
} from '../../../src/platform/auth/forwarded-user.ts';
import type { EventEnvelope } from '../../../src/platform/bus/event-contract.ts';
import {
  ConsumerNotAttached,
  createInProcessBroker,
  type InProcessBroker,
} from '../../../src/platform/bus/in-process-broker.ts';
import { inbox, outbox } from '../../../src/platform/bus/schema.ts';
import {
  type RunningComponent,
  startComponent,
} from '../../../src/platform/component/start-component.ts';
import type { Database } from '../../../src/platform/db/database.ts';
import { signingKeyEnv } from '../../support/access-tokens.ts';
import { testServiceCaller } from '../../support/service-credentials.ts';
import { createTestDatabase, eventually } from '../../support/services.ts';

// Both users stores kept in step: the legacy users module (in the monolith) and users-service,
// each on its own PostgreSQL database, their buses sharing one in-process broker, as the
// single-process run wires them. Writes on both sides at once must end in identical rows.

const logger = pino({ level: 'silent' });
const caller = testServiceCaller('facade');
let monolith: RunningComponent;
let service: RunningComponent;
let legacyDb: Database;
let serviceDb: Database;
const sharedBroker = createInProcessBroker();
/**
 * While set, the replication events wait in their outboxes (as for a consumer not attached yet):
 * a test that needs both sides' writes to land before either side hears of the other's.
 */
let holdReplication = false;
const broker: InProcessBroker = {
  attach: (consumer) => sharedBroker.attach(consumer),
  async handOver(deliveries) {
    if (holdReplication && deliveries.some((d) => d.envelope.name === 'user.changed')) {
      throw new ConsumerNotAttached('replication held by the test until both sides wrote');
    }
    return sharedBroker.handOver(deliveries);
  },
};
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const legacyDatabase = await createTestDatabase('in_step_legacy');
  const serviceDatabase = await createTestDatabase('in_step_service');
  const dataDir = await mkdtemp(join(tmpdir(), 'in-step-'));
  cleanups.push(
    () => rm(dataDir, { recursive: true, force: true }),
    legacyDatabase.drop,
    serviceDatabase.drop,
  );
  // One users side's keys for both, as in one deployment: a token from either verifies here.
  const shared = {
    ...signingKeyEnv(),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SEED_DEMO_DATA: 'true',
    LOG_LEVEL: 'silent',
    EVENT_MAX_ATTEMPTS: '3',
    EVENT_RETRY_BASE_MS: '20',
  };
  // Each publisher is told the other's subscribers (what each definition says it consumes).
  monolith = await startComponent(
    monolithComponent,
    loadMonolithConfig({ ...shared, DATABASE_URL: legacyDatabase.url, MONOLITH_PORT: '0' }),
    logger,
    { broker, remoteSubscribers: createUsersServiceComponent().consumes },
  );
  cleanups.push(() => monolith.stop());
  service = await startComponent(
    createUsersServiceComponent({ trustedCallers: caller.trustedCallers }),
    loadUsersServiceConfig({
      ...shared,
      USERS_SERVICE_DATABASE_URL: serviceDatabase.url,
      USERS_SERVICE_PORT: '0',
    }),
    logger,
    { broker, remoteSubscribers: monolithComponent.consumes },
  );
  cleanups.push(() => service.stop());
  legacyDb = monolith.database.db;
  serviceDb = service.database.db;
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// ── the two sides' APIs ──────────────────────────────────────────────────────────────────

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const legacy = {
  async signUp(username: string, password: string) {
    const response = await monolith.app.request(
      '/api/users',
      json({ username, email: `${username}@example.com`, password }),
    );
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  },
  login: (login: string, password: string) =>
    monolith.app.request('/api/auth/login', json({ login, password })),
  async token(login: string, password: string) {
    const response = await legacy.login(login, password);
    expect(response.status).toBe(200);
    return ((await response.json()) as { accessToken: string }).accessToken;
  },
  patchMe: (token: string, body: unknown) =>
    monolith.app.request('/api/users/me', {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  me: (token: string) =>
    monolith.app.request('/api/users/me', { headers: { authorization: `Bearer ${token}` } }),
};

const users = {
  async send(method: string, path: string, body?: unknown, actingFor?: string) {
    return service.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${await caller.tokens.tokenFor('users-service')}`,
        'content-type': 'application/json',
        ...(actingFor && {
          [FORWARDED_USER_HEADER]: encodeForwardedUser({
            id: actingFor,
            roles: ['customer'] as Role[],
          }),
        }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  },
  async signUp(login_name: string, password: string) {
    const response = await users.send('POST', '/v1/accounts', {
      login_name,
      email_address: `${login_name}@example.com`,
      password,
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  },
  patch: (id: string, body: unknown) => users.send('PATCH', `/v1/accounts/${id}`, body, id),
  session: (login: string, password: string) =>
    users.send('POST', '/v1/sessions', { login, password }),
};

// ── both stores, in one compared shape ───────────────────────────────────────────────────

async function comparedStores() {
  const [legacyRows, serviceRows] = await Promise.all([
    usersExtraction.readLegacy(legacyDb, undefined, 10_000),
    usersExtraction.readService(serviceDb, undefined, 10_000),
  ]);
  return {
    legacy: legacyRows.map(({ row }) => usersExtraction.compareLegacy(row)),
    service: serviceRows.map(({ row }) => usersExtraction.compareService(row)),
  };
}

const legacyRecords = async () =>
  (await usersExtraction.readLegacy(legacyDb, undefined, 10_000)).map(({ row }) => row);

const settled = () =>
  eventually(
    async () => {
      const { legacy: onLegacy, service: onService } = await comparedStores();
      expect(onService).toEqual(onLegacy);
      return onLegacy;
    },
    { timeoutMs: 30_000 },
  );

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const PASSWORD = 'first-password';
const NEW_PASSWORD = 'second-password';

describe('both users stores, kept in step by user.changed', () => {
  it('start with the demo accounts under the same ids on both sides', async () => {
    const rows = await settled();
    const ids = legacyDemoAccounts.map((account) => account.id);
    expect(serviceDemoAccounts.map((account) => account.id)).toEqual(ids);
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining(ids));
    const serviceIds = await serviceDb.select({ id: serviceAccounts.id }).from(serviceAccounts);
    expect(serviceIds.map((row) => row.id).sort()).toEqual([...ids].sort());
  });

  it('converge to identical rows after concurrent sign-ups and changes on both sides', async () => {
    const names = {
      legacy: Array.from({ length: 6 }, () => unique('legacy')),
      service: Array.from({ length: 6 }, () => unique('service')),
    };
    const [legacyIds, serviceIds] = await Promise.all([
      Promise.all(names.legacy.map((name) => legacy.signUp(name, PASSWORD))),
      Promise.all(names.service.map((name) => users.signUp(name, PASSWORD))),
    ]);
    await settled();

    // Each account changed on the side it was NOT created on, all at once: the replicated hash
    // lets a legacy-side sign-up sign in to users-service and the other way round.
    await Promise.all([
      ...legacyIds.map(async (id, index) => {
        const patch =
          index % 2 === 0
            ? { display_name: `Changed on users-service ${index}` }
            : { password: NEW_PASSWORD, current_password: PASSWORD };
        expect((await users.patch(id, patch)).status).toBe(200);
      }),
      ...names.service.map(async (name, index) => {
        const token = await legacy.token(name, PASSWORD);
        const patch =
          index % 2 === 0
            ? { displayName: `Changed on the monolith ${index}` }
            : { password: NEW_PASSWORD, currentPassword: PASSWORD };
        expect((await legacy.patchMe(token, patch)).status).toBe(200);
      }),
    ]);
    const rows = await settled();

    const changed = new Set([...legacyIds, ...serviceIds]);
    const versions = rows.filter((row) => changed.has(row.id)).map((row) => row.fields.version);
    expect(versions).toEqual(Array(12).fill(2));
    const legacyVersions = (await legacyRecords()).map(({ id, version }) => ({ id, version }));
    const serviceVersions = await serviceDb
      .select({ id: serviceAccounts.id, version: serviceAccounts.version })
      .from(serviceAccounts);
    const byId = (list: Array<{ id: string; version: number }>) =>
      [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(serviceVersions)).toEqual(byId(legacyVersions));
  });

  it('carry a password changed in users-service to the monolith: the new one signs in, the old token is refused', async () => {
    const name = unique('mover');
    await legacy.signUp(name, PASSWORD);
    await settled();
    const oldToken = await legacy.token(name, PASSWORD);
    expect((await legacy.me(oldToken)).status).toBe(200);
    const row = (await legacyRecords()).find((record) => record.username === name);

    expect(
      (await users.patch(row!.id, { password: NEW_PASSWORD, current_password: PASSWORD })).status,
    ).toBe(200);
    await settled();

    expect((await legacy.login(name, NEW_PASSWORD)).status).toBe(200);
    expect((await legacy.login(name, PASSWORD)).status).toBe(401);
    // users-service's user.tokens_revoked reached the monolith's revocation list.
    await eventually(async () => expect((await legacy.me(oldToken)).status).toBe(401));
    // And the legacy row keeps the instant itself (tokens_valid_after replicated).
    const after = (await legacyRecords()).find((record) => record.id === row!.id);
    expect(after?.tokensValidAfter).toEqual(expect.any(String));
  });

  it('carry a password changed in the monolith to users-service: the new one opens a session', async () => {
    const name = unique('back');
    await users.signUp(name, PASSWORD);
    await settled();
    const token = await legacy.token(name, PASSWORD);
    expect(
      (await legacy.patchMe(token, { password: NEW_PASSWORD, currentPassword: PASSWORD })).status,
    ).toBe(200);
    await settled();

    expect((await users.session(name, NEW_PASSWORD)).status).toBe(201);
    expect((await users.session(name, PASSWORD)).status).toBe(401);
  });

  it('never lets an older version overwrite a newer one, even delivered late', async () => {
    const name = unique('late');
    const id = await legacy.signUp(name, PASSWORD);
    await settled();
    const token = await legacy.token(name, PASSWORD);
    expect((await legacy.patchMe(token, { displayName: 'Newer' })).status).toBe(200);
    const before = await settled();

    // The sign-up's user.changed (version 1) again, as a new delivery arriving late.
    const [first] = await legacyDb
      .select()
      .from(outbox)
      .where(
        and(
          eq(outbox.name, 'user.changed'),
          sql`${outbox.payload}->'account'->>'id' = ${id}`,
          sql`${outbox.payload}->>'version' = '1'`,
        ),
      );
    const envelope = outboxEnvelope(first);
    const late = { ...envelope, metadata: { ...envelope.metadata, id: randomUUID() } };
    await broker.handOver([{ envelope: late, subscriber: 'users-service.replicate-from-legacy' }]);
    await eventually(async () =>
      expect(
        await serviceDb.select().from(inbox).where(eq(inbox.eventId, late.metadata.id)),
      ).toHaveLength(1),
    );

    expect((await comparedStores()).service).toEqual(before);
    const [row] = await serviceDb
      .select({ displayName: serviceAccounts.displayName, version: serviceAccounts.version })
      .from(serviceAccounts)
      .where(eq(serviceAccounts.id, id));
    expect(row).toEqual({ displayName: 'Newer', version: 2 });
  });

  it('ends a conflicting replication dead, visible, and leaves both rows for the verifier to report', async () => {
    const name = unique('clash');
    // Both sign-ups land before either side replicates the other's: the conflict is the point.
    holdReplication = true;
    const [legacyId, serviceId] = await Promise.all([
      legacy.signUp(name, PASSWORD),
      users.signUp(name, PASSWORD),
    ]).finally(() => {
      holdReplication = false;
    });
    await eventually(async () => {
      const dead = [
        ...(await monolith.bus.deadDeliveries()),
        ...(await service.bus.deadDeliveries()),
      ].filter((delivery) => delivery.eventName === 'user.changed');
      expect(dead.map((delivery) => delivery.subscriber).sort()).toEqual([
        'users-service.replicate-from-legacy',
        'users.replicate-from-service',
      ]);
    });
    const { legacy: onLegacy, service: onService } = await comparedStores();
    const legacyOnly = onLegacy.filter((row) => !onService.some((other) => other.id === row.id));
    const serviceOnly = onService.filter((row) => !onLegacy.some((other) => other.id === row.id));
    expect(legacyOnly.map((row) => row.id)).toEqual([legacyId]);
    expect(serviceOnly.map((row) => row.id)).toEqual([serviceId]);
  });
});

function outboxEnvelope(row: typeof outbox.$inferSelect | undefined): EventEnvelope {
  if (!row) throw new Error('no such outbox row');
  return { name: row.name, version: row.version, payload: row.payload, metadata: row.metadata };
}
