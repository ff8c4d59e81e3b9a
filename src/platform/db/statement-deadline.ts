import type { PendingQuery, Row } from 'postgres';
import { DeadlineExceeded } from '../resilience/infrastructure-error.ts';

/**
 * Bounds one postgres.js statement, from the moment it is asked for (it may first wait for a
 * connection) to its answer. The caller then gets DeadlineExceeded, an infrastructure error,
 * never a silent wait.
 *
 * postgres.js queries are lazy promises that run when awaited and are configured by chained
 * calls (`.values()`, `.execute()`); the wrapper keeps those and bounds the await.
 */
export function boundStatement<T extends readonly Row[]>(
  query: PendingQuery<T>,
  deadlineMs: number,
  what: () => string,
): PendingQuery<T> {
  let bounded: Promise<T> | undefined;
  const settle = () => {
    bounded ??= new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new DeadlineExceeded(`no answer from the database within ${deadlineMs} ms: ${what()}`),
        );
        // Never sent (still waiting for a connection): take it out of the queue. A statement
        // already sent is left to the server's statement_timeout: postgres.js cancels a sent
        // one over a new connection and leaves that attempt's failure unhandled, which would
        // end the process during the very outage that got us here.
        if (!(query as { state?: unknown }).state) query.cancel();
      }, deadlineMs);
      query.then(resolve, reject).finally(() => clearTimeout(timer));
    });
    return bounded;
  };
  const proxy: PendingQuery<T> = new Proxy(query, {
    get(target, property, receiver) {
      if (property === 'then') {
        return (onFulfilled?: (value: T) => unknown, onRejected?: (reason: unknown) => unknown) =>
          settle().then(onFulfilled, onRejected);
      }
      if (property === 'catch') {
        return (onRejected?: (reason: unknown) => unknown) => settle().catch(onRejected);
      }
      if (property === 'finally') {
        return (onFinally?: () => void) => settle().finally(onFinally);
      }
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // Chained configuration (`values()`, `execute()`, …) returns the query itself: keep the
      // bound on what is returned.
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
