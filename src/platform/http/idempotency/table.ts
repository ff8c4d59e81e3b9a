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
 * The Idempotency-Key records of one component, in that component's own schema (each service
 * keeps them beside its data, never in a shared one). Export the result from the component's
 * schema.ts so drizzle-kit puts the table in its migrations.
 */
export function idempotencyRecordsTable(schema: PgSchema) {
  return schema.table(
    'idempotency_records',
    {
      /** Whose key it is: two callers may pick the same key without meeting. */
      scope: text('scope').notNull(),
      key: text('key').notNull(),
      /** Method, path and canonical body: the same key with another request is refused. */
      requestHash: text('request_hash').notNull(),
      /** The request running under the key now, and until when its claim holds. */
      holder: text('holder'),
      heldUntil: timestamp('held_until', { withTimezone: true }),
      /** The first answer, replayed to every repeat; null while it runs. */
      responseStatus: integer('response_status'),
      responseBody: text('response_body'),
      responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      completedAt: timestamp('completed_at', { withTimezone: true }),
    },
    (t) => [
      primaryKey({ columns: [t.scope, t.key] }),
      // What retention looks for: records by age.
      index('idempotency_records_created_idx').on(t.createdAt),
    ],
  );
}

export type IdempotencyTable = ReturnType<typeof idempotencyRecordsTable>;
