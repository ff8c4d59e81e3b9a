import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openMigratedTestDatabase } from '../../../test/support/services.ts';
import { userTokensRevoked } from '../../contracts/users/v1/token-events.ts';
import { createEventBus, type EventBus } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from './access-token.ts';
import { revokedTokens } from './schema.ts';
import { tokenRevocations } from './token-revocations.ts';

const logger = pino({ level: 'silent' });
let db: Database;
let bus: EventBus;
let cleanup: () => Promise<void>;
const stops: Array<() => Promise<void> | undefined> = [];

/** One replica's revocation list; only `subscribed` ones get the events from the bus. */
async function replica({ subscribed }: { subscribed: boolean }) {
  const list = tokenRevocations({
    component: 'monolith',
    db,
    logger,
    event: userTokensRevoked,
    refreshIntervalMs: 50,
  });
  if (subscribed) bus.subscribe(...(list.subscriptions ?? []));
  await list.start?.();
  stops.push(() => list.stop?.());
  return list.api;
}

const revoke = (userId: string, notBefore: Date) =>
  db.transaction((tx) =>
    bus.publish(tx, userTokensRevoked, { userId, notBefore: notBefore.toISOString() }),
  );

beforeAll(async () => {
  const test = await openMigratedTestDatabase('token_revocations');
  db = test.handle.db;
  bus = createEventBus({ db, logger, maxAttempts: 3, retryBaseMs: 10, pollIntervalMs: 20 });
  cleanup = test.cleanup;
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await bus.stop();
  await cleanup();
});

describe('the revocation list', () => {
  it('takes user.tokens_revoked into its table and memory; other replicas read it from the table', async () => {
    const handling = await replica({ subscribed: true });
    const other = await replica({ subscribed: false });
    await bus.start();
    const userId = randomUUID();
    const changedAt = new Date();
    await revoke(userId, changedAt);

    await eventually(() => expect(handling.isRevoked(userId, changedAt.getTime() - 1)).toBe(true));
    expect(handling.isRevoked(userId, changedAt.getTime())).toBe(false);
    expect(handling.isRevoked(randomUUID(), changedAt.getTime() - 1)).toBe(false);
    await eventually(() => expect(other.isRevoked(userId, changedAt.getTime() - 1)).toBe(true));

    // A replica that starts later has it from the start.
    const later = await replica({ subscribed: false });
    expect(later.isRevoked(userId, changedAt.getTime() - 1)).toBe(true);
  });

  it('keeps the latest instant when notices arrive out of order', async () => {
    const list = await replica({ subscribed: false });
    const userId = randomUUID();
    const newer = new Date();
    const older = new Date(newer.getTime() - 60_000);
    await revoke(userId, newer);
    await revoke(userId, older);
    await eventually(async () => {
      const rows = await db.select().from(revokedTokens).where(eq(revokedTokens.userId, userId));
      expect(rows.map((row) => row.notBefore)).toEqual([newer]);
    });
    await eventually(() => expect(list.isRevoked(userId, newer.getTime() - 1)).toBe(true));
  });

  it('prunes a revocation once the longest token lifetime has passed since it, not before', async () => {
    const stale = randomUUID();
    const recent = randomUUID();
    const lifetimeMs = MAX_ACCESS_TOKEN_TTL_SECONDS * 1000;
    await db.insert(revokedTokens).values([
      { userId: stale, notBefore: new Date(Date.now() - lifetimeMs - 60_000) },
      { userId: recent, notBefore: new Date(Date.now() - lifetimeMs + 3_600_000) },
    ]);
    const module = tokenRevocations({
      component: 'monolith',
      db,
      logger,
      event: userTokensRevoked,
    });
    // The retention window asked for (an hour) does not cut a revocation short.
    await module.prune?.(3_600_000, 1_000);
    const left = await db.select({ userId: revokedTokens.userId }).from(revokedTokens);
    expect(left.map((row) => row.userId)).not.toContain(stale);
    expect(left.map((row) => row.userId)).toContain(recent);
  });
});
