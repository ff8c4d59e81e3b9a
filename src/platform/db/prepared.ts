import { Param, type Placeholder, type Query, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PreparedQueryConfig, SelectedFieldsOrdered } from 'drizzle-orm/pg-core';
import type { Executor } from './database.ts';

/** What drizzle's prepared queries carry besides their SQL, alike for postgres.js and PGlite. */
interface PreparedParts {
  getQuery(): Query;
  isResponseInArrayMode(): boolean;
  fields?: SelectedFieldsOrdered;
  customResultMapper?: (rows: unknown[][]) => unknown;
  joinsNotNullableMap?: Record<string, boolean>;
}

type Preparable = { prepare(name: string): { execute(values?: Record<string, unknown>): unknown } };
/** A query builder's answer; a bare SQL statement's is the driver's own, looked at by nobody. */
type ResultOf<Q extends Preparable | SQL> = Q extends Preparable
  ? Awaited<ReturnType<ReturnType<Q['prepare']>['execute']>>
  : unknown;

const partsOf = (db: Executor, built: Preparable | SQL): PreparedParts =>
  // drizzle names the statement, but neither driver uses the name. A bare statement runs as
  // db.execute() would run it (built, not run, until awaited).
  ('prepare' in built
    ? built.prepare('built-once')
    : db.execute(built)) as unknown as PreparedParts;

/**
 * A query whose SQL drizzle builds once, its values as placeholders, then run on whichever
 * executor it is given, an open transaction as well as the database. drizzle's own prepared
 * query is bound to the session it was made on, so inside a transaction drizzle would build it
 * again every time. On the hot paths that building cost more CPU than postgres.js running the
 * query: about a quarter of a product read's, and the most of a checkout's after the socket
 * writes. Rows come back as the query built would answer them (drizzle maps them with the
 * fields it kept from that build). Called as `builtOnce<Values>()((db) => query)`: the values'
 * type given, the query's answer inferred; `query` is a query builder or a bare SQL statement.
 * Anything that varies must be a placeholder: a value
 * written into the query is the first call's for good.
 */
export function builtOnce<V extends Record<string, unknown>>() {
  return <Q extends Preparable | SQL>(build: (db: Executor) => Q) => {
    type R = ResultOf<Q>;
    let parts: PreparedParts | undefined;
    return (db: Executor, values: V): Promise<R> => {
      parts ??= partsOf(db, build(db));
      const query = db._.session.prepareQuery<PreparedQueryConfig & { execute: R }>(
        parts.getQuery(),
        parts.fields,
        undefined,
        parts.isResponseInArrayMode(),
        parts.customResultMapper as ((rows: unknown[][]) => R) | undefined,
      );
      if (parts.joinsNotNullableMap) {
        (query as unknown as PreparedParts).joinsNotNullableMap = parts.joinsNotNullableMap;
      }
      return query.execute(values);
    };
  };
}

/** `{ a: sql.placeholder('a'), … }`: a builtOnce insert's values, named after its columns. */
export function placeholders<K extends string>(...names: K[]): { [N in K]: Placeholder<N> } {
  return Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as {
    [N in K]: Placeholder<N>;
  };
}

/**
 * A builtOnce statement's value `name` where drizzle takes no bare placeholder (an update's
 * set()), encoded as `column` encodes its values (a jsonb one as JSON).
 */
export function placeholderFor(column: PgColumn, name: string): SQL {
  return sql`${new Param(sql.placeholder(name), column)}`;
}

/**
 * `values` as one PostgreSQL array literal, for a builtOnce statement's `= any($n::type[])`:
 * its text stays the same whatever the count. Each element is quoted, so none can split.
 */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replaceAll(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
