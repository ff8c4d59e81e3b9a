import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { EventContract } from '../bus/event-contract.ts';
import { createPollingLoop } from '../bus/polling-loop.ts';
import { platform } from '../bus/schema.ts';
import { subscribe } from '../bus/subscription.ts';
import type { Database } from '../db/database.ts';
import { ago } from '../db/sql-time.ts';
import type { Module } from '../module.ts';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from './access-token.ts';
import type { RevocationList } from './access-token-verifier.ts';
import { revokedTokens } from './schema.ts';

/**
 * The users side's event carrying revocations (`user.tokens_revoked` v1, in the users contract):
 * the user's tokens issued before `notBefore` (an ISO time) are void. The platform names only
 * the shape it reads; the contract owns the event.
 */
export type TokenRevocationEvent = EventContract<
  string,
  z.ZodType<{ userId: string; notBefore: string }>
>;

export interface TokenRevocationsOptions {
  /** The component keeping the list: its subscriber name, so each component gets every notice. */
  component: string;
  db: Database;
  logger: Logger;
  event: TokenRevocationEvent;
  /**
   * How often the list is read again from the table: another replica of the component may have
   * handled a notice. That replica refuses the revoked tokens at once, the others within this.
   */
  refreshIntervalMs?: number;
}

const lifetimeMs = MAX_ACCESS_TOKEN_TTL_SECONDS * 1000;

/**
 * A verifier's revocation list, as a platform module a component adds to its parts: it
 * subscribes to the users side's revocations, keeps them in its own database (the platform's
 * `revoked_tokens`), holds them in memory for the token check, and prunes them once no token
 * they void can still be unexpired.
 */
export function tokenRevocations({
  component,
  db,
  logger,
  event,
  refreshIntervalMs = 2_000,
}: TokenRevocationsOptions): Module<RevocationList> {
  const notBefore = new Map<string, number>();

  const remember = (userId: string, instant: number) => {
    if ((notBefore.get(userId) ?? Number.NEGATIVE_INFINITY) < instant)
      notBefore.set(userId, instant);
  };

  // Merged, never replaced: a notice this replica handled but whose transaction is still
  // committing must not drop out of memory.
  const reload = async () => {
    const rows = await db.select().from(revokedTokens);
    for (const row of rows) remember(row.userId, row.notBefore.getTime());
    const expired = Date.now() - lifetimeMs;
    for (const [userId, instant] of notBefore) if (instant < expired) notBefore.delete(userId);
    return 0;
  };
  const refresh = createPollingLoop(
    `${component}.token-revocations`,
    reload,
    { intervalMs: refreshIntervalMs },
    logger,
  );

  return {
    name: 'token-revocations',
    schema: platform,
    subscriptions: [
      subscribe(`${component}.token-revocations`, event, async ({ payload }, tx) => {
        const instant = new Date(payload.notBefore);
        await tx
          .insert(revokedTokens)
          .values({ userId: payload.userId, notBefore: instant })
          .onConflictDoUpdate({
            target: revokedTokens.userId,
            set: {
              notBefore: sql`greatest(excluded.not_before, ${revokedTokens.notBefore})`,
              receivedAt: sql`now()`,
            },
          });
        remember(payload.userId, instant.getTime());
      }),
    ],
    async start() {
      await reload();
      refresh.start();
    },
    async stop() {
      await refresh.stop();
    },
    async prune(_olderThanMs, limit) {
      // The retention window does not apply: a row lives exactly as long as a token it voids.
      const old = db
        .select({ userId: revokedTokens.userId })
        .from(revokedTokens)
        .where(sql`${revokedTokens.notBefore} < ${ago(lifetimeMs)}`)
        .limit(limit);
      const deleted = await db
        .delete(revokedTokens)
        .where(sql`${revokedTokens.userId} in (${old})`)
        .returning({ userId: revokedTokens.userId });
      return deleted.length;
    },
    api: {
      isRevoked(userId, issuedAtMs) {
        const instant = notBefore.get(userId);
        return instant !== undefined && issuedAtMs < instant;
      },
    },
  };
}
