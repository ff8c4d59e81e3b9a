import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thingHappened } from '../../../test/support/probe.ts';
import { openMigratedTestDatabase } from '../../../test/support/services.ts';
import type { Database } from '../db/database.ts';
import type { EventEnvelope } from './event-contract.ts';
import { relayOutboxBatch } from './outbox-relay.ts';
import { publishEvent } from './publish.ts';
import { outbox } from './schema.ts';
import type { Transport } from './transport.ts';

let db: Database;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const test = await openMigratedTestDatabase('outbox_relay');
  db = test.handle.db;
  cleanup = test.cleanup;
});
afterAll(() => cleanup());

/** A transport that keeps what it is handed, or fails the hand-over while `down`. */
function recordingTransport() {
  const handed: EventEnvelope[] = [];
  const transport: Transport & { handed: EventEnvelope[]; down: boolean } = {
    handed,
    down: false,
    async fanOut(_tx, envelopes) {
      if (transport.down) throw new Error('transport unavailable');
      handed.push(...envelopes);
    },
    dispatched: () => {},
    redeliver: async () => {},
    start: async () => {},
    stop: async () => {},
  };
  return transport;
}

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
    expect(await relayOutboxBatch(db, transport, 100)).toBe(3);
    expect(await relayOutboxBatch(db, transport, 100)).toBe(0);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...ids].sort(),
    );
    expect(await undispatched(ids)).toBe(0);
  });

  it('keeps the events when the hand-over fails, and relays them on a later run', async () => {
    const ids = await published(2);
    const transport = recordingTransport();
    transport.down = true;
    await expect(relayOutboxBatch(db, transport, 100)).rejects.toThrow('transport unavailable');
    expect(await undispatched(ids)).toBe(2);
    transport.down = false;
    expect(await relayOutboxBatch(db, transport, 100)).toBe(2);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it('takes at most a batch per run, oldest first', async () => {
    const first = await published(2);
    const second = await published(2);
    const transport = recordingTransport();
    expect(await relayOutboxBatch(db, transport, 2)).toBe(2);
    expect(transport.handed.map((envelope) => envelope.metadata.id).sort()).toEqual(
      [...first].sort(),
    );
    expect(await relayOutboxBatch(db, transport, 2)).toBe(2);
    expect(await undispatched([...first, ...second])).toBe(0);
  });
});
