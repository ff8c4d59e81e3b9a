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
