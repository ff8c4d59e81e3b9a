import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  address,
  type OrdersFixture,
  openOrdersFixture,
} from '../../../test/modules/orders/fixture.ts';
import { commitWith } from '../../platform/db/commit-with.ts';
import type { OrdersDeps } from './deps.ts';
import {
  claimSagas,
  LeaseLost,
  type SagaLease,
  withLease,
  writesUnderLease,
} from './saga-lease.ts';
import { SimulatedCrash } from './saga-runner.ts';
import { checkoutSagas, orderRecords, sagaSteps } from './schema.ts';

// The lease primitives on their own: what a process writes under a saga's lease, and that it
// writes nothing once the lease is someone else's.

let f: OrdersFixture;
beforeAll(async () => {
  f = await openOrdersFixture('orders-lease');
});
afterAll(() => f.harness.cleanup());

/** The deps of one process, named `owner` in the leases it takes. */
const processDeps = (owner = 'a-process'): OrdersDeps => ({
  db: f.harness.db,
  events: f.harness.context.events,
  logger: f.harness.context.logger,
  ports: f.ports,
  saga: {
    owner,
    leaseMs: 30_000,
    retryDelayMs: 5_000,
    crashAfter: undefined,
    replayWaitMs: 50,
    outageRetryMs: 0,
  },
  driving: new Set(),
});
const notTheHolder = (orderId: string): SagaLease => ({ orderId, token: 'not-the-holder' });

/** An order whose saga stopped after reserving stock, its lease still held by its drive. */
async function leasedSaga(): Promise<{ orderId: string; lease: SagaLease }> {
  const product = await f.product(10);
  const userId = randomUUID();
  const crashing = f.newInstance({ crashAfter: 'reserve_stock' });
  await expect(
    crashing.api.placeOrder(
      { userId, items: [{ productId: product.id, quantity: 1 }], shippingAddress: address() },
      randomUUID(),
    ),
  ).rejects.toBeInstanceOf(SimulatedCrash);
  const [order] = await f.harness.db
    .select({ id: orderRecords.id })
    .from(orderRecords)
    .where(eq(orderRecords.userId, userId));
  if (!order) throw new Error('the order was not created');
  const [saga] = await f.harness.db
    .select()
    .from(checkoutSagas)
    .where(eq(checkoutSagas.orderId, order.id));
  if (!saga?.leaseOwner) throw new Error('the saga holds no lease');
  return { orderId: order.id, lease: { orderId: order.id, token: saga.leaseOwner } };
}

const sagaOf = async (orderId: string) =>
  (await f.harness.db.select().from(checkoutSagas).where(eq(checkoutSagas.orderId, orderId)))[0];

const capturePaymentStep = (orderId: string) =>
  and(eq(sagaSteps.orderId, orderId), eq(sagaSteps.step, 'capture_payment'));

describe('writesUnderLease', () => {
  it('applies the writes and renews the lease while the lease is ours', async () => {
    const { orderId, lease } = await leasedSaga();
    const before = await sagaOf(orderId);
    const note = writesUnderLease(
      (db, held) => [
        db
          .update(sagaSteps)
          .set({ detail: 'noted' })
          .where(and(capturePaymentStep(orderId), held)),
      ],
      { lastError: 'noted too' },
    );
    await note(processDeps(), lease, {});
    const after = await sagaOf(orderId);
    expect(after?.lastError).toBe('noted too');
    expect(after?.leaseExpiresAt?.getTime()).toBeGreaterThan(
      before?.leaseExpiresAt?.getTime() ?? 0,
    );
    expect((await f.stepLog(orderId)).capture_payment).toBe('started');
    const [step] = await f.harness.db.select().from(sagaSteps).where(capturePaymentStep(orderId));
    expect(step?.detail).toBe('noted');
  });

  it('writes nothing, the saga row included, when the lease is another process’s', async () => {
    const { orderId } = await leasedSaga();
    const before = await sagaOf(orderId);
    const fail = writesUnderLease(
      (db, held) => [
        db
          .update(sagaSteps)
          .set({ status: 'failed', detail: 'should not stick' })
          .where(and(capturePaymentStep(orderId), held)),
      ],
      { state: 'compensating', failure: 'should not stick' },
    );
    await expect(fail(processDeps(), notTheHolder(orderId), {})).rejects.toBeInstanceOf(LeaseLost);
    expect(await sagaOf(orderId)).toEqual(before);
    expect((await f.stepLog(orderId)).capture_payment).toBe('started');
  });
});

describe('withLease', () => {
  it('rolls the work back and says LeaseLost when the lease is another process’s', async () => {
    const { orderId } = await leasedSaga();
    const cancelIt = () =>
      withLease(processDeps(), notTheHolder(orderId), async (tx) => {
        await tx
          .update(orderRecords)
          .set({ status: 'cancelled', cancelReason: 'should not stick' })
          .where(eq(orderRecords.id, orderId));
      });
    await expect(cancelIt()).rejects.toBeInstanceOf(LeaseLost);
    // Work that fails as well: the lost lease is still what the caller hears.
    await expect(
      withLease(processDeps(), notTheHolder(orderId), async (tx) => {
        await tx.execute(sql`select 1`);
        throw new Error('the work failed too');
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect((await f.orders.api.getOrder(orderId))?.status).toBe('pending');
  });

  it('sends no COMMIT behind work that ends with commitWith when the lease is another process’s', async () => {
    const { orderId, lease } = await leasedSaga();
    const cancelAtOnce = (held: SagaLease) =>
      withLease(processDeps(), held, (tx) =>
        commitWith(tx, () =>
          tx
            .update(orderRecords)
            .set({ status: 'cancelled', cancelReason: 'sent with COMMIT' })
            .where(eq(orderRecords.id, orderId)),
        ),
      );
    await expect(cancelAtOnce(notTheHolder(orderId))).rejects.toBeInstanceOf(LeaseLost);
    expect((await f.orders.api.getOrder(orderId))?.status).toBe('pending');
    await cancelAtOnce(lease);
    expect((await f.orders.api.getOrder(orderId))?.status).toBe('cancelled');
  });

  it('commits the work when the lease is ours', async () => {
    const { orderId, lease } = await leasedSaga();
    await withLease(processDeps(), lease, async (tx) => {
      await tx
        .update(checkoutSagas)
        .set({ lastError: 'kept' })
        .where(eq(checkoutSagas.orderId, orderId));
    });
    expect((await sagaOf(orderId))?.lastError).toBe('kept');
  });
});

describe('a lease names one drive, not its process', () => {
  const lapse = (orderId: string) =>
    f.harness.db
      .update(checkoutSagas)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(checkoutSagas.orderId, orderId));
  const writeNote = writesUnderLease<{ note: string }>(() => [], {
    lastError: sql`${sql.placeholder('note')}`,
  });
  const noteOn = (lease: SagaLease, note: string) => writeNote(processDeps(), lease, { note });

  it('a second claim by the same process takes the saga from the first drive', async () => {
    const { orderId } = await leasedSaga();
    await lapse(orderId);
    const [first] = await claimSagas(processDeps(), { limit: 1, orderId });
    if (!first) throw new Error('the lapsed saga was not claimed');
    // The first drive stalls past its lease; this process's recovery claims the saga again.
    await lapse(orderId);
    const [second] = await claimSagas(processDeps(), { limit: 1, orderId });
    if (!second) throw new Error('the lapsed saga was not claimed again');

    await expect(noteOn(first, 'from the first drive')).rejects.toBeInstanceOf(LeaseLost);
    await noteOn(second, 'from the second drive');
    expect(await sagaOf(orderId)).toMatchObject({
      leaseOwner: second.token,
      lastError: 'from the second drive',
      attempts: 3,
    });
    expect(second.token).toMatch(/^a-process:/);
  });

  it('a process does not claim a saga it is driving right now, even once its lease lapsed', async () => {
    const { orderId } = await leasedSaga();
    await lapse(orderId);
    const driving = processDeps('a-busy-process');
    driving.driving.add(orderId);
    expect(await claimSagas(driving, { limit: 10 })).not.toContainEqual(
      expect.objectContaining({ orderId }),
    );
    expect(await claimSagas(processDeps('another-process'), { limit: 1, orderId })).toEqual([
      { orderId, token: expect.stringMatching(/^another-process:/) },
    ]);
  });
});
