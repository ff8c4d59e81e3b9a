import { type Placeholder, type Query, sql } from 'drizzle-orm';
import type { PreparedQueryConfig } from 'drizzle-orm/pg-core';
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

/**
 * A write whose SQL drizzle builds once, its values as placeholders, then run on whichever
 * executor it is given: above all an open transaction, where `preparedPer` would build it again
 * for every transaction. On a checkout's hot path (an outbox row per event, an inbox claim per
 * delivery) that building was the most CPU after the socket writes. Rows come back as
 * PostgreSQL names their columns, so it is for writes whose answer is a count or nothing.
 */
export function writeOnce<V extends Record<string, unknown>>(
  build: (db: Executor) => { toSQL(): Query },
): (db: Executor, values: V) => Promise<unknown[]> {
  let query: Query | undefined;
  return (db, values) => {
    query ??= build(db).toSQL();
    return db._.session
      .prepareQuery<PreparedQueryConfig & { execute: unknown[] }>(
        query,
        undefined,
        undefined,
        false,
      )
      .execute(values);
  };
}

/** `{ a: sql.placeholder('a'), … }`: a writeOnce insert's values, named after its columns. */
export function placeholders<K extends string>(...names: K[]): { [N in K]: Placeholder<N> } {
  return Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as {
    [N in K]: Placeholder<N>;
  };
}
