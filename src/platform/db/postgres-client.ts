import type { Sql } from 'postgres';
import { pipelinedTransaction } from './pipelined-transaction.ts';

/**
 * A postgres.js client whose `unsafe()` prepares statements, which is what drizzle sends every
 * query through. postgres.js defaults `unsafe()` to unprepared, and an unprepared query with
 * parameters costs two round trips (Parse/Describe, then Bind/Execute) plus a fresh parse and
 * plan on the server; prepared, a repeated query is one Bind/Execute. drizzle asks for unprepared
 * statements unless a query is given a name (and ignores the client's `prepare` setting,
 * drizzle-orm#6096), so the client overrides it.
 *
 * Transactions hand drizzle another client; it is wrapped too, and BEGIN is pipelined
 * (`pipelinedTransaction`).
 */
export function preparingClient(client: Sql): Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: { prepare?: boolean }) =>
          // biome-ignore lint/suspicious/noExplicitAny: postgres.js types parameters per call site.
          target.unsafe(query, parameters as any[], { ...options, prepare: true });
      }
      if (property === 'begin') {
        return (...args: unknown[]) => {
          // drizzle sets isolation and access modes with SET TRANSACTION, never through begin.
          if (args.length !== 1)
            throw new Error('begin(mode, work) is not supported; use SET TRANSACTION');
          return pipelinedTransaction(target, args[0] as (tx: Sql) => unknown, preparingClient);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
