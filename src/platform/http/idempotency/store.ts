import { and, eq, isNull, lt, lte, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/database.ts';
import { type Problem, ProblemError } from '../problem.ts';
import { codedProblem } from '../problem-codes.ts';
import type { IdempotencyTable } from './table.ts';

/** An answer as it is kept for replays: its status and its JSON body (a problem for a 4xx). */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type Claim =
  /** The key is new (or its dead claim lapsed): run the request, then `complete` or `release`. */
  | { outcome: 'run' }
  /** The key answered before with the same request: answer this again. */
  | { outcome: 'replay'; answer: StoredAnswer };

export interface IdempotencyRequest {
  scope: string;
  key: string;
  requestHash: string;
}

export interface IdempotencyStore {
  /**
   * Claims the key for this request. Another request's fingerprint → 422
   * `idempotency-key-reused`; the same request still running → 409 `idempotency-key-in-flight`.
   */
  claim(request: IdempotencyRequest): Promise<Claim>;
  /** Keeps the answer; pass the write's transaction, so the answer commits with the write. */
  complete(request: IdempotencyRequest, answer: StoredAnswer, executor?: Executor): Promise<void>;
  /** Gives the key back after a failure no replay should repeat (a 5xx, a lost database). */
  release(request: IdempotencyRequest): Promise<void>;
  /** Retention: deletes up to `limit` records older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}

/** A problem answer kept by `complete`, thrown again on replay. */
export function replayedProblem(answer: StoredAnswer): ProblemError {
  const problem = answer.body as Problem;
  return new ProblemError(answer.status as ProblemError['status'], problem.detail ?? '', {
    type: problem.type,
    title: problem.title,
    ...(problem.errors && { errors: problem.errors }),
  });
}

export function createIdempotencyStore(
  db: Database,
  table: IdempotencyTable,
  { claimMs = 60_000 }: { claimMs?: number } = {},
): IdempotencyStore {
  const where = ({ scope, key }: IdempotencyRequest) =>
    and(eq(table.scope, scope), eq(table.key, key));
  const lockedUntil = sql`now() + ${`${claimMs} milliseconds`}::interval`;

  return {
    async claim(request) {
      const inserted = await db
        .insert(table)
        .values({ ...request, lockedUntil })
        .onConflictDoNothing()
        .returning({ key: table.key });
      if (inserted.length > 0) return { outcome: 'run' };

      const [found] = await db.select().from(table).where(where(request));
      // Pruned between the insert and the read: a fresh claim is as good as any.
      if (!found) return this.claim(request);
      if (found.requestHash !== request.requestHash) {
        throw codedProblem(
          422,
          'idempotency-key-reused',
          'This Idempotency-Key was already used with a different request; use a new key for a new request.',
        );
      }
      if (found.status !== null) {
        return { outcome: 'replay', answer: { status: found.status, body: found.response } };
      }
      // The first request died without an answer: its claim lapsed, so this one takes over.
      const taken = await db
        .update(table)
        .set({ lockedUntil })
        .where(and(where(request), isNull(table.status), lte(table.lockedUntil, sql`now()`)))
        .returning({ key: table.key });
      if (taken.length > 0) return { outcome: 'run' };
      throw codedProblem(
        409,
        'idempotency-key-in-flight',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        { headers: { 'Retry-After': '1' } },
      );
    },

    async complete(request, answer, executor = db) {
      await executor
        .update(table)
        .set({ status: answer.status, response: answer.body })
        .where(and(where(request), isNull(table.status)));
    },

    async release(request) {
      await db.delete(table).where(and(where(request), isNull(table.status)));
    },

    async prune(olderThanMs, limit) {
      const cutoff = sql`now() - ${`${olderThanMs} milliseconds`}::interval`;
      const doomed = db
        .select({ scope: table.scope, key: table.key })
        .from(table)
        .where(lt(table.createdAt, cutoff))
        .limit(limit);
      const deleted = await db
        .delete(table)
        .where(sql`(${table.scope}, ${table.key}) in (${doomed})`)
        .returning({ key: table.key });
      return deleted.length;
    },
  };
}
