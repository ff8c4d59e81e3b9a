import { Param, type Placeholder, type Query, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PreparedQueryConfig, SelectedFieldsOrdered } from 'drizzle-orm/pg-core';
import type { Executor } from './database.ts';

/**
 * A query built once per database and run as drizzle's prepared query thereafter, its values
 * given as placeholders. On a hot read drizzle building the same SELECT's SQL on every request
 * costs more CPU than postgres.js running it (about a quarter of a product read's). Kept per
 * executor (a database or an open transaction), as drizzle binds a prepared query to one.
 */
export function preparedPer<Q>(build: (db: Executor) => Q): (db: Executor) => Q {
  const built = new WeakMap<Executor, Q>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}

/** What drizzle's prepared queries carry besides their SQL, alike for postgres.js and PGlite. */
interface PreparedParts {
  getQuery(): Query;
  isResponseInArrayMode(): boolean;
  fields?: SelectedFieldsOrdered;
  customResultMapper?: (rows: unknown[][]) => unknown;
  joinsNotNullableMap?: Record<string, boolean>;
}

type Preparable = { prepare(name: string): { execute(values?: Record<string, unknown>): unknown } };
type ResultOf<Q extends Preparable> = Awaited<ReturnType<ReturnType<Q['prepare']>['execute']>>;

/**
 * A query whose SQL drizzle builds once, its values as placeholders, then run on whichever
 * executor it is given: above all an open transaction, where `preparedPer` would build it again
 * for every transaction. On a checkout's hot path drizzle building the same statements' SQL for
 * every order was the most CPU after the socket writes. Rows come back as the query built would
 * answer them (drizzle maps them with the fields it kept from that build). Called as
 * `builtOnce<Values>()((db) => query)`: the values' type given, the query's answer inferred.
 */
export function builtOnce<V extends Record<string, unknown>>() {
  return <Q extends Preparable>(build: (db: Executor) => Q) => {
    type R = ResultOf<Q>;
    let parts: PreparedParts | undefined;
    return (db: Executor, values: V): Promise<R> => {
      // drizzle names the statement, but neither driver uses the name.
      parts ??= build(db).prepare('built-once') as unknown as PreparedParts;
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
