import { sql } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../../../test/support/problem.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/services.ts';
import { type DatabaseHandle, openDatabase } from '../../db/database.ts';
import { codedProblem } from '../problem-codes.ts';
import { idempotently } from './idempotently.ts';
import { createIdempotencyStore, type IdempotencyStore } from './store.ts';
import { idempotencyRecordsTable } from './table.ts';

const records = idempotencyRecordsTable(pgSchema('idem'));
let database: TestDatabase;
let handle: DatabaseHandle;
let store: IdempotencyStore;

beforeAll(async () => {
  database = await createTestDatabase('idempotency-store');
  handle = await openDatabase({ url: database.url, dataDir: '', name: 'idempotency-store' });
  // The table as a component's migration creates it from idempotencyRecordsTable.
  await handle.db.execute(sql`create schema idem`);
  await handle.db.execute(sql`create table idem.idempotency_records (
    scope text not null, key text not null, request_hash text not null, status integer,
    response jsonb, locked_until timestamptz not null, created_at timestamptz not null default now(),
    primary key (scope, key))`);
  store = createIdempotencyStore(handle.db, records, { claimMs: 200 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});

let serial = 0;
const request = (requestHash = 'hash-a') => ({
  scope: 'caller',
  key: `key-${++serial}`,
  requestHash,
});
const codeOf = (error: { problem: { type: string } }) => error.problem.type.split('/').pop();

describe('the idempotency store', () => {
  it('runs a new key, refuses it while in flight, and replays its answer once kept', async () => {
    const first = request();
    expect(await store.claim(first)).toEqual({ outcome: 'run' });
    const inFlight = await rejection(store.claim(first));
    expect([inFlight.status, codeOf(inFlight)]).toEqual([409, 'idempotency-key-in-flight']);
    await store.complete(first, { status: 201, body: { id: 'x' } });
    expect(await store.claim(first)).toEqual({
      outcome: 'replay',
      answer: { status: 201, body: { id: 'x' } },
    });
    const reused = await rejection(store.claim({ ...first, requestHash: 'hash-b' }));
    expect([reused.status, codeOf(reused)]).toEqual([422, 'idempotency-key-reused']);
  });

  it('lets a later request take over a claim whose request died unanswered', async () => {
    const first = request();
    await store.claim(first);
    await handle.db.execute(
      sql`update idem.idempotency_records set locked_until = now() - interval '1 second'`,
    );
    expect(await store.claim(first)).toEqual({ outcome: 'run' });
  });

  it('keeps a 4xx answer for replays, and gives the key back after any other failure', async () => {
    const refused = request();
    const write = async () => {
      throw codedProblem(409, 'login-name-taken', 'taken');
    };
    for (let run = 0; run < 2; run++) {
      const error = await rejection(idempotently(store, refused, write));
      expect([error.status, codeOf(error)]).toEqual([409, 'login-name-taken']);
    }
    const crashed = request();
    await expect(
      idempotently(store, crashed, async () => {
        throw new Error('database went away');
      }),
    ).rejects.toThrow('database went away');
    expect(await store.claim(crashed)).toEqual({ outcome: 'run' });
  });

  it('prunes records older than the window', async () => {
    const old = request();
    await store.claim(old);
    await store.complete(old, { status: 201, body: {} });
    await handle.db.execute(
      sql`update idem.idempotency_records set created_at = now() - interval '2 hours'`,
    );
    const fresh = request();
    await store.claim(fresh);
    expect(await store.prune(3_600_000, 100)).toBeGreaterThan(0);
    expect(await store.claim(old)).toEqual({ outcome: 'run' });
    await expect(rejection(store.claim(fresh))).resolves.toMatchObject({ status: 409 });
  });
});
