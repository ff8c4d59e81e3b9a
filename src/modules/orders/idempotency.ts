import { createHash } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { builtOnce, placeholderFor } from '../../platform/db/prepared.ts';
import { canonicalJson } from '../../platform/http/idempotency/request-hash.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import { type Order, orderSchema, type PlaceOrderInput } from './contracts.ts';
import { idempotencyKeys } from './schema.ts';

/** Fingerprint of a placement request (after validation, so trimmed values compare equal). */
export function hashRequest(input: PlaceOrderInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

const keyOf = builtOnce<{ userId: string; key: string }>()((db) =>
  db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.userId, sql.placeholder('userId')),
        eq(idempotencyKeys.key, sql.placeholder('key')),
      ),
    ),
);

export async function findKey(
  db: Executor,
  userId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const [row] = await keyOf(db, { userId, key });
  return row;
}

export function assertSameRequest(record: IdempotencyRecord, requestHash: string): void {
  if (record.requestHash !== requestHash) {
    throw new ProblemError(
      422,
      'This Idempotency-Key was already used with a different request; use a new key for a new order.',
    );
  }
}

const firstResponse = builtOnce<{ userId: string; key: string; response: Order }>()((db) =>
  db
    .update(idempotencyKeys)
    .set({ response: placeholderFor(idempotencyKeys.response, 'response') })
    .where(
      and(
        eq(idempotencyKeys.userId, sql.placeholder('userId')),
        eq(idempotencyKeys.key, sql.placeholder('key')),
        isNull(idempotencyKeys.response),
      ),
    )
    .returning({ key: idempotencyKeys.key }),
);

/** Keeps the first answer for replays; if another request stored one first, that one stands. */
export async function storeResponse(
  db: Executor,
  record: IdempotencyRecord,
  order: Order,
): Promise<Order> {
  const stored = await firstResponse(db, {
    userId: record.userId,
    key: record.key,
    response: order,
  });
  if (stored.length > 0) return order;
  const first = await findKey(db, record.userId, record.key);
  return orderSchema.parse(first?.response ?? order);
}
