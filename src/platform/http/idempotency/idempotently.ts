import type { Executor } from '../../db/database.ts';
import { ProblemError } from '../problem.ts';
import {
  type IdempotencyRequest,
  type IdempotencyStore,
  replayedProblem,
  type StoredAnswer,
} from './store.ts';

/** Keeps the write's answer in the write's own transaction. */
export type KeepAnswer = (tx: Executor, answer: StoredAnswer) => Promise<void>;

/**
 * Runs `write` at most once per Idempotency-Key: the same key and request again answer the
 * first answer (a problem is thrown again), another request is a 422. `write` keeps its answer
 * with `keep` inside its transaction, so the answer exists exactly when the write committed.
 * A 4xx is kept too (the request itself was refused); anything else gives the key back.
 * Without a key (`request` undefined), `write` simply runs.
 */
export async function idempotently(
  store: IdempotencyStore,
  request: IdempotencyRequest | undefined,
  write: (keep: KeepAnswer) => Promise<StoredAnswer>,
): Promise<StoredAnswer> {
  if (!request) return write(async () => {});
  const claim = await store.claim(request);
  if (claim.outcome === 'replay') {
    if (claim.answer.status >= 400) throw replayedProblem(claim.answer);
    return claim.answer;
  }
  try {
    return await write((tx, answer) => store.complete(request, answer, tx));
  } catch (error) {
    if (error instanceof ProblemError && error.status < 500) {
      await store.complete(request, { status: error.status, body: error.problem });
    } else {
      // Best effort: if the database is gone, the claim lapses on its own.
      await store.release(request).catch(() => {});
    }
    throw error;
  }
}
