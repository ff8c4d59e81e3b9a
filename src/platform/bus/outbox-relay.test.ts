import { setTimeout as sleep } from 'node:timers/promises';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { thingHappened } from '../../../test/support/probe.ts';
import { openMigratedTestDatabase, TEST_POSTGRES_URL } from '../../../test/support/services.ts';
import { type Database, type DatabaseHandle, openDatabase } from '../db/database.ts';
import { isInfrastructureError } from '../resilience/infrastructure-error.ts';
import type { EventEnvelope } from './event-contract.ts';
import { type RelayOptions, relayOutboxBatch } from './outbox-relay.ts';
import { publishEvent } from './publish.ts';
import { busEpochs, outbox } from './schema.ts';
import type { HandOver, Transport } from './transport.ts';

let db: Database;
let cleanup: () => Promise<void>;
let proxy: FaultProxy;
/** The same database through a fault proxy, as the relay of a process that loses it sees it. */
let viaProxy: DatabaseHandle;
beforeAll(async () => {
  const test = await openMigratedTestDatabase('outbox_relay');
  db = test.handle.db;
  cleanup = test.cleanup;
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  viaProxy = await openDatabase({ url: proxy.via(test.url), dataDir: '', name: 'relay' });
});
afterAll(async () => {
  await proxy.close();
  await viaProxy.close().catch(() => {});
  await cleanup();
});

/**
 * A transport that keeps what it is handed, fails the hand-over while `down`, and waits for
 * `hold` (when set) before answering, as a slow or unreachable Redis would.
 */
function recordingTransport() {
  const handed: EventEnvelope[] = [];
  const transport: Transport & {
    handed: EventEnvelope[];
    down: boolean;
    hold: Promise<void> | undefined;
    handing: number;
    handOver: HandOver;
  } = {
    handed,
    down: false,
    hold: undefined,
    handing: 0,
    handOver: {},
    beforeRelay: async () => {},
    async fanOut(events) {
      if (transport.down) throw new Error('transport unavailable');
      transport.handing += 1;
      await transport.hold;
      handed.push(...events.map((event) => event.envelope));
      return transport.handOver;
    },
    dispatched: () => {},
    redeliver: async () => {},
    start: async () => {},
    stop: async () => {},
  };
  return transport;
}

const batchOf = (batchSize: number, claimMs = 60_000): RelayOptions => ({ batchSize, claimMs });

const published = (count: number) =>
  db.transaction(async (tx) => {
    const ids: string[] = [];
    for (let value = 0; value < count; value++) {
      ids.push((await publishEvent(tx, thingHappened, { value })).metadata.id);
    }
    return ids;
  });

const undispatched = async (ids: string[]) =>
  (await db.select().from(outbox).where(inArray(outbox.id, ids))).filter(
    (row) => row.dispatchedAt === null,
  ).length;

describe('the outbox relay', () => {
  it('hands committed events over once and marks them sent', async () => {
    const ids = await published(3);
    const transport = recordingTransport();
    expect(await relayOutboxBatch(db, transport, batchOf(100))).toBe(3);
    expect(await relayOutboxBatch(db, transport, batchOf(100))).toBe(0);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...ids].sort(),
    );
    expect(await undispatched(ids)).toBe(0);
  });

  it('keeps the events when the hand-over fails, and releases them to the next run at once', async () => {
    const ids = await published(2);
    const transport = recordingTransport();
    transport.down = true;
    await expect(relayOutboxBatch(db, transport, batchOf(100))).rejects.toThrow(
      'transport unavailable',
    );
    expect(await undispatched(ids)).toBe(2);
    transport.down = false;
    expect(await relayOutboxBatch(db, transport, batchOf(100))).toBe(2);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it('takes at most a batch per run, oldest first', async () => {
    const first = await published(2);
    const second = await published(2);
    const transport = recordingTransport();
    expect(await relayOutboxBatch(db, transport, batchOf(2))).toBe(2);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...first].sort(),
    );
    expect(await relayOutboxBatch(db, transport, batchOf(2))).toBe(2);
    expect(await undispatched([...first, ...second])).toBe(0);
  });

  it('holds no transaction or row lock while the hand-over is under way', async () => {
    const ids = await published(2);
    const transport = recordingTransport();
    let answer = () => {};
    transport.hold = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const relaying = relayOutboxBatch(db, transport, batchOf(100));
    while (transport.handing === 0) await sleep(5);

    // Nothing waits on the relay: the rows can be locked at once (NOWAIT fails on a held lock)...
    const locked = await db.transaction((tx) =>
      tx.select().from(outbox).where(inArray(outbox.id, ids)).for('update', { noWait: true }),
    );
    expect(locked).toHaveLength(2);
    // ...and another relay (a replica) leaves them alone: they are claimed.
    expect(await relayOutboxBatch(db, recordingTransport(), batchOf(100))).toBe(0);

    answer();
    expect(await relaying).toBe(2);
    expect(await undispatched(ids)).toBe(0);
  });

  it('leaves a batch whose relay died mid-hand-over to another relay once the claim lapses', async () => {
    const ids = await published(2);
    const dying = recordingTransport();
    dying.hold = new Promise<void>(() => {}); // never answers: the process died
    void relayOutboxBatch(db, dying, batchOf(100, 400));
    while (dying.handing === 0) await sleep(5);

    const other = recordingTransport();
    expect(await relayOutboxBatch(db, other, batchOf(100, 400))).toBe(0);
    await sleep(500);
    expect(await relayOutboxBatch(db, other, batchOf(100, 400))).toBe(2);
    expect(other.handed.map((envelope) => envelope.metadata.id).sort()).toEqual([...ids].sort());
    expect(await undispatched(ids)).toBe(0);
  });

  it('marks a batch handed to Redis only while PostgreSQL still knows that epoch as current', async () => {
    await db.insert(busEpochs).values({ prefix: 'relay_test', epoch: 'current' });
    const subscribersOf = new Map([[thingHappened.name, ['a.sub', 'b.sub']]]);
    const ids = await published(2);
    const transport = recordingTransport();
    // Redis lost its data during the hand-over and another process already adopted the new epoch.
    transport.handOver = { redis: { prefix: 'relay_test', epoch: 'retired', subscribersOf } };
    expect(await relayOutboxBatch(db, transport, batchOf(100))).toBe(2);
    expect(await undispatched(ids)).toBe(2);

    // Released at once, not left to lapse: the next run hands them over again.
    transport.handOver = { redis: { prefix: 'relay_test', epoch: 'current', subscribersOf } };
    expect(await relayOutboxBatch(db, transport, batchOf(100))).toBe(2);
    const rows = await db.select().from(outbox).where(inArray(outbox.id, ids));
    expect(rows.map(({ redisEpoch, handedTo }) => ({ redisEpoch, handedTo }))).toEqual([
      { redisEpoch: 'current', handedTo: ['a.sub', 'b.sub'] },
      { redisEpoch: 'current', handedTo: ['a.sub', 'b.sub'] },
    ]);
  });

  it('survives PostgreSQL going away mid-hand-over: the run fails, and the batch is relayed again after', async () => {
    const ids = await published(2);
    const transport = recordingTransport();
    let answer = () => {};
    transport.hold = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const relaying = relayOutboxBatch(viaProxy.db, transport, batchOf(100, 500));
    while (transport.handing === 0) await sleep(5);
    await proxy.cut();
    answer(); // handed over, but the mark cannot be written
    const failure = await relaying.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isInfrastructureError(failure)).toBe(true);
    expect(await undispatched(ids)).toBe(2);
    // While it is gone, runs fail cleanly (and nothing is handed over).
    await expect(relayOutboxBatch(viaProxy.db, transport, batchOf(100, 500))).rejects.toSatisfy(
      isInfrastructureError,
    );

    await proxy.restore();
    await sleep(600); // the claim of the failed run lapses
    expect(await relayOutboxBatch(viaProxy.db, transport, batchOf(100, 500))).toBe(2);
    expect(await undispatched(ids)).toBe(0);
    // At least once: the batch went over twice, which job ids and the inbox absorb.
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...ids, ...ids].sort(),
    );
  });
});
