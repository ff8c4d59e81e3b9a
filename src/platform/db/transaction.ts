import type { PendingQuery, Sql, TransactionSql } from 'postgres';
import { DeadlineExceeded, isInfrastructureError } from '../resilience/infrastructure-error.ts';
import { postgresErrorCode } from './errors.ts';

/** What a transaction is bounded by: each wait on the server gets this long. */
export interface TransactionBounds {
  /** Until BEGIN is answered (a connection may have to be found first), and until COMMIT is. */
  deadlineMs: number;
}

/**
 * The statements of one transaction (or savepoint), watched: the first to fail is what the
 * transaction reports, and once the transaction's connection is gone, or the transaction is
 * over, nothing more is sent on it.
 */
interface Scope {
  connection: { gone?: unknown };
  firstFailure?: { error: unknown };
}

/** How a scope ends with COMMIT behind the work's last statements (see commit-with.ts). */
export interface Ending {
  commitWith<R>(last: () => Promise<R>): Promise<R>;
  /** That COMMIT waits for `check`, and is not sent if it fails. */
  beforeCommit(check: () => Promise<unknown>): void;
}

/** Where a transaction's client keeps its `Ending`; drizzle's session holds that client. */
export const ENDING = Symbol('ending');

/**
 * A transaction on postgres.js's own `begin()`, which takes its connection from the pool like
 * any query and rejects as soon as that connection closes, so it never waits on a lost
 * connection (unlike `reserve()`, whose queued callers a lost connection strands for good:
 * porsager/postgres#1195). Around it:
 * - the transaction reports its first failing statement, not a later "current transaction is
 *   aborted" (25P02), and fails when a statement failed even if the work caught the error
 *   (the server has aborted it, and COMMIT would quietly roll back);
 * - statements the work sends after the connection closed, or after the transaction ended,
 *   are refused here: on postgres.js they would go to a reconnected session, outside the
 *   transaction;
 * - BEGIN is not waited for: the work's first statements share its round trip (postgres.js
 *   patched), and COMMIT is sent only once BEGIN has answered. A plain BEGIN fails only with
 *   its session, and then the statements behind it fail too;
 * - BEGIN and COMMIT are each bounded by `deadlineMs`; statements in between are bounded by
 *   the client `wrap` gives them, and idle time by the server's
 *   idle_in_transaction_session_timeout;
 * - the work may have COMMIT sent right behind its last statements (`commitWith`), in their
 *   round trip rather than one after their answers; nothing is sent on it after that COMMIT.
 *
 * Nested transactions (drizzle's) become savepoints, each a scope of its own: a failure the
 * work rolled back to a savepoint does not fail the transaction around it.
 */
export async function runTransaction<T>(
  client: Sql,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
  { deadlineMs }: TransactionBounds,
): Promise<T> {
  const beginBy = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptTransaction(client, work, wrap, beginBy, deadlineMs);
    } catch (error) {
      // BEGIN went unanswered on a connection that turned out dead (after an outage the pool
      // learns of each lost connection one at a time): another connection may serve it.
      const retry =
        error instanceof BeginFailed && attempt < MAX_BEGIN_ATTEMPTS && Date.now() < beginBy;
      if (!retry) throw error instanceof BeginFailed ? error.cause : error;
    }
  }
}

const MAX_BEGIN_ATTEMPTS = 3;

/** The transaction failed before any of its work ran, for want of a usable connection. */
class BeginFailed extends Error {}

async function attemptTransaction<T>(
  client: Sql,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
  beginBy: number,
  deadlineMs: number,
): Promise<T> {
  const scope: Scope = { connection: {} };
  // BEGIN goes out with the work's first statements (patched postgres.js `begin()`): the work
  // starts once BEGIN has a connection, and BEGIN's answer comes before any of theirs.
  let answered = false;
  let abandoned = false;
  const timers: NodeJS.Timeout[] = [];
  let fail: (error: unknown) => void = () => {};
  const timedOut = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // BEGIN and COMMIT are sent by postgres.js itself: each is bounded here.
  const arm = (what: 'BEGIN' | 'COMMIT', ms: number) => {
    const timer = setTimeout(() => {
      abandoned = true;
      scope.connection.gone ??= new Error(`${what} got no answer`);
      fail(new DeadlineExceeded(`${what} got no answer from the database within ${deadlineMs} ms`));
    }, ms);
    timers.push(timer);
    return timer;
  };
  const beginTimer = arm('BEGIN', Math.max(0, beginBy - Date.now()));
  const tooLate = () => new DeadlineExceeded('the transaction began after its deadline');
  let endingEarly = false;
  let commitSent = false;
  const run = client.begin(async (tx: TransactionSql, ...rest: unknown[]) => {
    if (abandoned) throw tooLate();
    const began = rest[0] as Promise<unknown>;
    began.then(
      () => {
        answered = true;
        clearTimeout(beginTimer);
      },
      () => {},
    );
    const checks: Array<() => Promise<unknown>> = [];
    const commitWith = async <R>(last: () => Promise<R>): Promise<R> => {
      if (endingEarly) throw new Error('commitWith: the transaction is ending already');
      endingEarly = true;
      let failed = false;
      // The last statements reach postgres.js within this turn's microtasks, and it writes them
      // out from an immediate queued with the first of them: one queued before them runs first,
      // so COMMIT joins them in that write. It waits for BEGIN's answer, as a COMMIT sent after
      // the work would (a transaction given up on at BEGIN is never committed), and for the
      // work's checks (`beforeCommit`); both have mostly answered by then.
      const due = new Promise<void>((resolve) => setImmediate(resolve));
      // Once: a drizzle query is a thenable that runs again each time it is awaited.
      const results = Promise.resolve(last());
      results.catch(() => {
        failed = true;
      });
      const commit = due
        .then(() => Promise.all([answered || began, ...checks.map((check) => check())]))
        .then(() => {
          // A last statement failed before COMMIT was due: the work rolls back as usual.
          if (failed) throw new Error('COMMIT not sent: a last statement failed');
          if (abandoned) throw tooLate();
          if (scope.connection.gone) throw scope.connection.gone;
          scope.connection.gone = new Error('the transaction is committing');
          commitSent = true;
          arm('COMMIT', deadlineMs);
          return (tx as TransactionSql & { commit(): Promise<{ command: string }> }).commit();
        });
      commit.catch(() => {});
      const [value, answer] = await Promise.all([results, commit]);
      // ROLLBACK: the server had aborted the transaction, so a statement failed.
      if (answer.command !== 'COMMIT') {
        throw scope.firstFailure?.error ?? new Error('COMMIT rolled the transaction back');
      }
      return value;
    };
    const ending: Ending = { commitWith, beforeCommit: (check) => checks.push(check) };
    const result = await inScope(tx, scope, work, wrap, ending);
    // Given up on while the work ran (BEGIN unanswered past its deadline): no COMMIT.
    if (abandoned) throw tooLate();
    if (!commitSent) arm('COMMIT', deadlineMs);
    return result;
  }) as Promise<T>;
  const settled = run.finally(() => {
    scope.connection.gone ??= new Error('the transaction is over');
  });
  // The loser of the race must not count as unhandled.
  settled.catch(() => {});
  timedOut.catch(() => {});
  try {
    return await Promise.race([settled, timedOut]);
  } catch (error) {
    // BEGIN was never answered, so none of the work's statements were either: nothing of it
    // ran, and another connection may serve it.
    if (!answered && !abandoned && isInfrastructureError(error)) {
      throw new BeginFailed('BEGIN failed', { cause: error });
    }
    throw reportable(scope, error);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

/** In a savepoint, COMMIT is the transaction's to send, after the work: the statements just run. */
const endingOfSavepoint: Ending = { commitWith: (last) => last(), beforeCommit: () => {} };

async function inScope<T>(
  tx: TransactionSql,
  scope: Scope,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
  ending: Ending,
): Promise<T> {
  const watch = <Q extends PendingQuery<never>>(query: Q): Q => {
    query.catch((error: unknown) => {
      scope.firstFailure ??= { error };
      if (postgresErrorCode(error) === undefined) scope.connection.gone ??= error;
    });
    return query;
  };
  const savepoint = (...args: unknown[]) => {
    const nested = args[args.length - 1] as (inner: Sql) => unknown;
    const inner: Scope = { connection: scope.connection };
    return tx.savepoint((savepointTx: TransactionSql) =>
      inScope(savepointTx, inner, nested, wrap, endingOfSavepoint).catch((error: unknown) => {
        throw reportable(inner, error);
      }),
    );
  };
  const scoped = new Proxy(tx as unknown as Sql, {
    get(target, property, receiver) {
      if (property === 'savepoint') return savepoint;
      if (property === ENDING) return ending;
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => {
          const { gone } = scope.connection;
          if (gone) return refused(gone);
          return watch(target.unsafe(...args) as PendingQuery<never>);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  let result: T;
  try {
    result = await work(wrap(scoped));
  } catch (error) {
    throw reportable(scope, error);
  }
  if (scope.firstFailure) throw scope.firstFailure.error;
  return result;
}

/** "Current transaction is aborted" only says an earlier statement failed: report that one. */
function reportable(scope: Scope, error: unknown): unknown {
  if (postgresErrorCode(error) === '25P02' && scope.firstFailure) return scope.firstFailure.error;
  return error;
}

/** A statement that is not sent: it fails like one whose connection was lost. */
function refused(cause: unknown): PendingQuery<never> {
  const error = Object.assign(
    new Error('statement refused: the transaction ended or lost its connection', { cause }),
    { code: 'CONNECTION_CLOSED' },
  );
  const failed = Promise.reject(error);
  failed.catch(() => {});
  return Object.assign(failed, {
    values: () => failed,
    execute: () => failed,
    raw: () => failed,
  }) as unknown as PendingQuery<never>;
}
