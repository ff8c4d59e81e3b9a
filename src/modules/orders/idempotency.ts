import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { canonicalJson } from '../../platform/http/idempotency/request-hash.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import { type Order, orderSchema, type PlaceOrderInput } from './contracts.ts';
import { idempotencyKeys } from './schema.ts';

/** Fingerprint of a placement request (after validation, so trimmed values compare equal). */
export function hashRequest(input: PlaceOrderInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

export async function findKey(
  db: Executor,
  userId: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
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

/** Keeps the first answer for replays; if another request stored one first, that one stands. */
export async function storeResponse(
  db: Executor,
  record: IdempotencyRecord,
  order: Order,
): Promise<Order> {
  const stored = await db
    .update(idempotencyKeys)
    .set({ response: order })
    .where(
      and(
        eq(idempotencyKeys.userId, record.userId),
        eq(idempotencyKeys.key, record.key),
        isNull(idempotencyKeys.response),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  if (stored.length > 0) return order;
  const first = await findKey(db, record.userId, record.key);
  return orderSchema.parse(first?.response ?? order);
}
