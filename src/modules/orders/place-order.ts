import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { builtOnce, placeholders } from '../../platform/db/prepared.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import { isInfrastructureError } from '../../platform/resilience/infrastructure-error.ts';
import { orderSchema, type Placement, type PlaceOrderInput } from './contracts.ts';
import type { OrdersDeps } from './deps.ts';
import {
  assertSameRequest,
  findKey,
  hashRequest,
  type IdempotencyRecord,
  storeResponse,
} from './idempotency.ts';
import { findOrder, toOrder } from './order-records.ts';
import { recordPlaced } from './order-status.ts';
import { type PricedOrder, priceOrder } from './pricing.ts';
import { claimSagas, isSagaFinished, LeaseLost, type SagaLease } from './saga-lease.ts';
import {
  beginSaga,
  driveSaga,
  type FinishedOrder,
  type SagaSnapshot,
  SagaStalled,
} from './saga-runner.ts';
import { idempotencyKeys, orderItems, orderRecords } from './schema.ts';

/** The key was taken by a concurrent request between our lookup and our insert. */
class KeyTaken extends Error {}

/**
 * Places an order and runs its checkout saga to the end, idempotent per (user, key): the same
 * key and input answer the first result again (replayed); other input is a 422. A saga that
 * fails still answers an order: cancelled, with its reason.
 */
export async function placeOrder(
  deps: OrdersDeps,
  input: PlaceOrderInput,
  idempotencyKey: string,
  context: EventContext = {},
): Promise<Placement> {
  const requestHash = hashRequest(input);
  const existing = await findKey(deps.db, input.userId, idempotencyKey);
  if (existing) return replay(deps, existing, requestHash, context);

  // Prices come from the catalog before anything is written: bad lines leave no order behind.
  const priced = await priceOrder(deps.ports.pricing, input.items);
  const orderId = randomUUID();
  const ctx: EventContext = {
    correlationId: context.correlationId ?? orderId,
    traceId: context.traceId ?? randomBytes(16).toString('hex'),
    causationId: context.causationId ?? null,
  };
  const created = await createOrder(
    deps,
    { orderId, input, priced, idempotencyKey, requestHash },
    ctx,
  );
  if (!created) {
    const winner = await findKey(deps.db, input.userId, idempotencyKey);
    if (!winner) throw new Error('idempotency key vanished after a unique violation');
    return replay(deps, winner, requestHash, context);
  }
  return runCheckout(deps, created.record, ctx, false, created.lease, created);
}

interface NewOrder {
  orderId: string;
  input: PlaceOrderInput;
  priced: PricedOrder;
  idempotencyKey: string;
  requestHash: string;
}

// Every order writes these: built once.
const insertOrder = builtOnce<
  Pick<
    typeof orderRecords.$inferInsert,
    'id' | 'userId' | 'totalMinor' | 'currency' | 'shippingAddress'
  >
>()((db) =>
  db.insert(orderRecords).values({
    ...placeholders('id', 'userId', 'totalMinor', 'currency', 'shippingAddress'),
    status: 'pending',
  }),
);
const insertKey = builtOnce<
  Pick<IdempotencyRecord, 'userId' | 'key' | 'requestHash' | 'orderId'>
>()((db) =>
  db
    .insert(idempotencyKeys)
    .values(placeholders('userId', 'key', 'requestHash', 'orderId'))
    .onConflictDoNothing()
    .returning(),
);

/**
 * The order, its lines, its saga (leased to this drive), its first history entry, order.placed
 * and the idempotency key, all in one transaction. The key's primary key decides between
 * concurrent duplicates: the loser rolls back everything and gets undefined.
 */
async function createOrder(
  deps: OrdersDeps,
  { orderId, input, priced, idempotencyKey, requestHash }: NewOrder,
  ctx: EventContext,
): Promise<(BegunCheckout & { record: IdempotencyRecord; lease: SagaLease }) | undefined> {
  try {
    return await deps.db.transaction(async (tx) => {
      const items: BegunCheckout['items'] = priced.items.map((item, lineNo) => ({
        orderId,
        lineNo,
        productId: item.productId,
        name: item.name,
        quantity: item.quantity,
        unitPriceMinor: item.unitPrice.amountMinor,
        lineTotalMinor: item.lineTotal.amountMinor,
        currency: item.lineTotal.currency,
      }));
      // All in one round trip, the order row ahead of what refers to it: statements built once
      // go out in the order they are called, and the lines' insert (a drizzle builder) after them.
      const [, , begun, , [record]] = await Promise.all([
        insertOrder(tx, {
          id: orderId,
          userId: input.userId,
          totalMinor: priced.total.amountMinor,
          currency: priced.total.currency,
          shippingAddress: input.shippingAddress,
        }),
        tx.insert(orderItems).values(items),
        beginSaga(
          tx,
          deps,
          {
            id: orderId,
            userId: input.userId,
            items: priced.items.map(({ productId, quantity }) => ({ productId, quantity })),
            total: priced.total,
            address: input.shippingAddress,
            cardToken: input.cardToken ?? null,
          },
          ctx,
        ),
        recordPlaced(tx, deps.events, { id: orderId, userId: input.userId, ...priced }, ctx),
        insertKey(tx, { userId: input.userId, key: idempotencyKey, requestHash, orderId }),
      ]);
      if (!record) throw new KeyTaken();
      return { record, lease: begun.lease, saga: begun.snapshot, items };
    });
  } catch (error) {
    if (error instanceof KeyTaken) return undefined;
    throw error;
  }
}

/** What placing the order just wrote: the saga to drive, and the order's lines. */
interface BegunCheckout {
  saga: SagaSnapshot;
  items: Array<typeof orderItems.$inferSelect>;
}

/**
 * Drives the saga this drive holds, then keeps the answer for replays. An order placed just
 * now is answered from the row its saga's end returned and the lines it was placed with; a
 * saga taken over from another drive, from the database.
 */
async function runCheckout(
  deps: OrdersDeps,
  record: IdempotencyRecord,
  context: EventContext,
  replayed: boolean,
  lease: SagaLease,
  begun?: BegunCheckout,
): Promise<Placement> {
  let finished: FinishedOrder | undefined;
  try {
    finished = await driveSaga(deps, lease, context, begun?.saga);
  } catch (error) {
    // Another driver took the saga over: wait for its answer like any duplicate would.
    if (error instanceof LeaseLost) return replay(deps, record, record.requestHash, context);
    // Postponed, or our database went away past the retry budget: either way the saga stays
    // recoverable (postponed, or its lease lapses) and recovery finishes it.
    if (error instanceof SagaStalled || isInfrastructureError(error)) {
      throw new ProblemError(
        503,
        'The checkout could not finish now; it will be completed or undone automatically. Retry with the same Idempotency-Key to see the outcome.',
        { headers: { 'Retry-After': '5' } },
      );
    }
    throw error;
  }
  const order =
    finished && begun ? toOrder(finished, begun.items) : await findOrder(deps.db, record.orderId);
  if (!order) throw new Error(`order ${record.orderId} vanished`);
  return { replayed, order: await storeResponse(deps.db, record, order) };
}

/**
 * Answers a repeated key: the stored first answer; or, when the first request died mid-saga
 * and its lease lapsed, finishes the saga here; or waits a moment for a first request still
 * running, then 409.
 */
async function replay(
  deps: OrdersDeps,
  first: IdempotencyRecord,
  requestHash: string,
  context: EventContext,
): Promise<Placement> {
  assertSameRequest(first, requestHash);
  const deadline = Date.now() + deps.saga.replayWaitMs;
  let record = first;
  for (;;) {
    if (record.response) return { replayed: true, order: orderSchema.parse(record.response) };
    if (await isSagaFinished(deps, record.orderId)) {
      const order = await findOrder(deps.db, record.orderId);
      if (!order) throw new Error(`order ${record.orderId} vanished`);
      return { replayed: true, order: await storeResponse(deps.db, record, order) };
    }
    const [claimed] = await claimSagas(deps, { limit: 1, orderId: record.orderId });
    if (claimed) return runCheckout(deps, record, context, true, claimed);
    if (Date.now() >= deadline) {
      throw new ProblemError(
        409,
        'An order with this Idempotency-Key is still being placed; retry shortly.',
        { headers: { 'Retry-After': '1' } },
      );
    }
    await sleep(50);
    record = (await findKey(deps.db, record.userId, record.key)) ?? record;
  }
}
