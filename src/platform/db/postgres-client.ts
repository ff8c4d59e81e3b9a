import type { PendingQuery, Sql } from 'postgres';
import { boundStatement } from './statement-deadline.ts';
import { runTransaction } from './transaction.ts';

export interface ClientBounds {
  /** How long one statement may take, from being asked for to its answer. */
  statementDeadlineMs: number;
  /** Counted as they are sent. */
  activity: DatabaseActivity;
}

/** What a component has asked of its database so far: the cost of a use case, in round trips. */
export interface DatabaseActivity {
  /** Statements, besides the BEGIN and COMMIT of transactions. */
  statements: number;
  transactions: number;
}

/**
 * The postgres.js client drizzle runs on:
 * - `unsafe()` prepares statements, which is what drizzle sends every query through.
 *   postgres.js defaults `unsafe()` to unprepared, and an unprepared query with parameters
 *   costs two round trips (Parse/Describe, then Bind/Execute) plus a fresh parse and plan on
 *   the server; prepared, a repeated query is one Bind/Execute. drizzle asks for unprepared
 *   statements unless a query is given a name (and ignores the client's `prepare` setting,
 *   drizzle-orm#6096), so the client overrides it.
 * - every statement is bounded (`boundStatement`) and counted, as is every transaction;
 * - `begin()` runs the guarded transaction of `runTransaction`, whose client is wrapped the
 *   same way.
 */
export function drizzleClient(client: Sql, bounds: ClientBounds): Sql {
  const wrap = (inner: Sql): Sql => drizzleClient(inner, bounds);
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: { prepare?: boolean }) => {
          bounds.activity.statements++;
          return boundStatement(
            // biome-ignore lint/suspicious/noExplicitAny: postgres.js types parameters per call site.
            target.unsafe(query, parameters as any[], {
              ...options,
              prepare: true,
            }) as PendingQuery<never[]>,
            bounds.statementDeadlineMs,
            () => query.slice(0, 120),
          );
        };
      }
      if (property === 'begin') {
        return (...args: unknown[]) => {
          // drizzle sets isolation and access modes with SET TRANSACTION, never through begin.
          if (args.length !== 1)
            throw new Error('begin(mode, work) is not supported; use SET TRANSACTION');
          bounds.activity.transactions++;
          return runTransaction(target, args[0] as (tx: Sql) => unknown, wrap, {
            deadlineMs: bounds.statementDeadlineMs,
          });
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
