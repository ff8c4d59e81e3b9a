import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  and,
  eq,
  getTableColumns,
  isNotNull,
  isNull,
  lt,
  or,
  type Placeholder,
  sql,
} from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import { builtOnce, placeholderFor, placeholders } from '../../db/prepared.ts';
import { ago, fromNow } from '../../db/sql-time.ts';
import { startHeartbeat } from '../../resilience/heartbeat.ts';
import { codedProblem } from '../problem.ts';
import type { IdempotencyTable } from './table.ts';

/** The first answer under a key, as it is replayed. */
export interface StoredAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** What `begin` hands the request: run it (then complete or release), or replay an answer. */
export type IdempotencyClaim =
  | {
      outcome: 'run';
      /** Keeps the answer for every repeat; a no-op if the claim was lost meanwhile. */
      complete(answer: StoredAnswer): Promise<void>;
      /** Forgets the key (the request failed with no answer worth keeping): a retry runs again. */
      release(): Promise<void>;
    }
  | { outcome: 'replay'; answer: StoredAnswer };

export interface IdempotencyStore {
  /**
   * Claims `key` for a request with fingerprint `hash`, or finds its first answer. Same key with
   * another fingerprint: 422 `idempotency-key-reused`. A request still running under the key is
   * waited for up to `waitMs` (its answer is then replayed), then 409 `idempotency-key-in-use`.
   */
  begin(scope: string, key: string, hash: string): Promise<IdempotencyClaim>;
  /** Retention: deletes up to `limit` records older than `olderThanMs` that no request holds. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}

export interface IdempotencyStoreOptions {
  /**
   * How long a running request's claim holds without its heartbeat: a process that died with a
   * key in hand frees it this much later, and a repeat then runs the request again.
   */
  leaseMs?: number;
  /** How long a repeat waits for the first request under its key before answering 409. */
  waitMs?: number;
  logger: Logger;
}

const POLL_MS = 25;

/** A value, or a builtOnce statement's placeholder for it. */
type Text = string | Placeholder;

export const keyReused = () =>
  codedProblem(
    422,
    'idempotency-key-reused',
    'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  );

export const keyInUse = () =>
  codedProblem(
    409,
    'idempotency-key-in-use',
    'A request with this Idempotency-Key is still being processed; retry shortly to get its answer.',
    { headers: { 'Retry-After': '1' } },
  );

export function createIdempotencyStore(
  db: Database,
  table: IdempotencyTable,
  { leaseMs = 10_000, waitMs = 5_000, logger }: IdempotencyStoreOptions,
): IdempotencyStore {
  const byKey = (scope: Text, key: Text) => and(eq(table.scope, scope), eq(table.key, key));
  const heldBy = (scope: Text, key: Text, holder: Text) =>
    and(byKey(scope, key), eq(table.holder, holder), isNull(table.responseStatus));

  // Every request under a key runs these two: built once.
  const claim = builtOnce<{
    scope: string;
    key: string;
    requestHash: string;
    holder: string;
    leaseMs: number;
  }>()((db) =>
    db
      .insert(table)
      .values({
        ...placeholders('scope', 'key', 'requestHash', 'holder'),
        heldUntil: fromNow(sql.placeholder('leaseMs')),
      })
      .onConflictDoNothing()
      .returning({ key: table.key }),
  );
  const keepAnswer = builtOnce<{
    scope: string;
    key: string;
    holder: string;
    status: number;
    body: string;
    headers: Record<string, string>;
  }>()((db) =>
    db
      .update(table)
      .set({
        responseStatus: placeholderFor(table.responseStatus, 'status'),
        responseBody: placeholderFor(table.responseBody, 'body'),
        responseHeaders: placeholderFor(table.responseHeaders, 'headers'),
        holder: null,
        heldUntil: null,
        completedAt: sql`now()`,
      })
      .where(heldBy(sql.placeholder('scope'), sql.placeholder('key'), sql.placeholder('holder'))),
  );

  function claimFor(scope: string, key: string, holder: string): IdempotencyClaim {
    const heartbeat = startHeartbeat(
      leaseMs / 3,
      () =>
        db
          .update(table)
          .set({ heldUntil: fromNow(leaseMs) })
          .where(heldBy(scope, key, holder)),
      (error) => logger.warn({ err: error, key }, 'Idempotency-Key claim renewal failed'),
    );
    return {
      outcome: 'run',
      async complete(answer) {
        await heartbeat.stop();
        await keepAnswer(db, { scope, key, holder, ...answer });
      },
      async release() {
        await heartbeat.stop();
        await db.delete(table).where(heldBy(scope, key, holder));
      },
    };
  }

  return {
    async begin(scope, key, hash) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const holder = randomUUID();
        const [inserted] = await claim(db, {
          scope,
          key,
          requestHash: hash,
          holder,
          leaseMs: Math.round(leaseMs),
        });
        if (inserted) return claimFor(scope, key, holder);

        const [row] = await db
          .select({ ...getTableColumns(table), live: sql<boolean>`${table.heldUntil} > now()` })
          .from(table)
          .where(byKey(scope, key));
        if (row) {
          if (row.requestHash !== hash) throw keyReused();
          if (row.responseStatus !== null) {
            return {
              outcome: 'replay',
              answer: {
                status: row.responseStatus,
                body: row.responseBody ?? '',
                headers: row.responseHeaders ?? {},
              },
            };
          }
          if (!row.live) {
            // Its holder died (the claim lapsed): this request runs it again.
            const [taken] = await db
              .update(table)
              .set({ holder, heldUntil: fromNow(leaseMs) })
              .where(
                and(
                  byKey(scope, key),
                  isNull(table.responseStatus),
                  row.holder === null ? isNull(table.holder) : eq(table.holder, row.holder),
                ),
              )
              .returning({ key: table.key });
            if (taken) return claimFor(scope, key, holder);
          }
        }
        // Gone (released) or taken meanwhile: look again, within the wait.
        if (row?.live && Date.now() >= deadline) throw keyInUse();
        await sleep(POLL_MS);
      }
    },

    async prune(olderThanMs, limit) {
      const old = db
        .select({ scope: table.scope, key: table.key })
        .from(table)
        .where(
          and(
            lt(table.createdAt, ago(olderThanMs)),
            or(isNotNull(table.responseStatus), lt(table.heldUntil, sql`now()`)),
          ),
        )
        .limit(limit)
        .for('update', { skipLocked: true });
      const deleted = await db
        .delete(table)
        .where(sql`(${table.scope}, ${table.key}) in (${old})`)
        .returning({ key: table.key });
      return deleted.length;
    },
  };
}
