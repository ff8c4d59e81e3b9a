import type { Transaction } from './database.ts';
import { ENDING, type Ending } from './transaction.ts';

/** The transaction's own way to end early; none on PGlite, and a plain one in a savepoint. */
const endingOf = (tx: Transaction): Ending | undefined =>
  // drizzle's postgres.js session keeps the client it was given; PGlite's has no ENDING.
  (tx._.session as unknown as { client?: { [ENDING]?: Ending } }).client?.[ENDING];

/**
 * Ends `tx` with `last`, its final statements, and COMMIT sent right behind them: in their
 * round trip rather than one after their answers. Resolves with `last`'s value once the
 * transaction has committed; rejects (and nothing of it is kept) if any of them failed.
 *
 * What this asks of the caller, since COMMIT goes before their answers are seen:
 * - `last` sends every statement at once, none waiting on another's answer;
 * - nothing decides from their answers to roll back: the work sends no statement after this
 *   (it would be refused) and only returns what it has. A check that must pass before COMMIT
 *   is given to `beforeCommit`.
 *
 * Where the transaction is not on postgres.js (PGlite) or `tx` is a savepoint, `last` just runs
 * and COMMIT comes when the work is done, as always.
 */
export function commitWith<R>(tx: Transaction, last: () => Promise<R>): Promise<R> {
  const ending = endingOf(tx);
  return ending ? ending.commitWith(last) : last();
}

/**
 * Holds a COMMIT that `commitWith` sends on `tx` until `check` resolves, and sends none if it
 * rejects: the work then fails with its error and rolls back. A transaction that commits after
 * its work checks there (as it must anyway) and needs nothing of this.
 */
export function beforeCommit(tx: Transaction, check: () => Promise<unknown>): void {
  endingOf(tx)?.beforeCommit(check);
}
