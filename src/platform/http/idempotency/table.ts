import {
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * The idempotency records of one component, in that component's own schema: one row per
 * (scope, key), holding the request's fingerprint and, once answered, the first answer.
 * `scope` keeps callers' keys apart (the caller, or `anonymous`).
 */
export function idempotencyRecordsTable<S extends string>(schema: PgSchema<S>) {
  return schema.table(
    'idempotency_records',
    {
      scope: text('scope').notNull(),
      key: text('key').notNull(),
      requestHash: text('request_hash').notNull(),
      /** Null while the first request is in flight. */
      status: integer('status'),
      response: jsonb('response'),
      /** An in-flight claim lapses then, so a request that died does not block the key for ever. */
      lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [
      primaryKey({ columns: [t.scope, t.key] }),
      // What retention looks for: records by age.
      index('idempotency_records_created_idx').on(t.createdAt),
    ],
  );
}

export type IdempotencyTable = ReturnType<typeof idempotencyRecordsTable>;
