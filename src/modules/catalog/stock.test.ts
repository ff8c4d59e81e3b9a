import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { rejection } from '../../../test/support/problem.ts';
import type { Database } from '../../platform/db/database.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import type { Module } from '../../platform/module.ts';
import { type CatalogApi, createCatalogModule } from './index.ts';
import { archiveProduct, createProduct, getStockLevel } from './service.ts';
import { reserveStock } from './stock.ts';

let db: Database;
let cleanup: () => Promise<void>;
let catalog: Module<CatalogApi>;
let deps: Parameters<typeof createProduct>[0];

beforeAll(async () => {
  const harness = await openModuleHarness('catalog-stock');
  ({ db, cleanup } = harness);
  deps = { db, events: harness.bus };
  catalog = createCatalogModule(harness.context);
});
afterAll(async () => {
  await cleanup();
});

let skuCounter = 0;
async function productWithStock(initialStock: number, active = true) {
  skuCounter += 1;
  return createProduct(deps, {
    sku: `STOCK-${skuCounter}`,
    name: `Stock test ${skuCounter}`,
    description: '',
    price: { amountMinor: 1000, currency: 'EUR' },
    active,
    initialStock,
  });
}

const eventsFor = (name: string, orderId: string) => outboxEvents(db, name, orderId);

describe('reserveStock under contention (real PostgreSQL)', () => {
  it('lets exactly 10 of 60 concurrent single-unit reservations through a stock of 10', async () => {
    const product = await productWithStock(10);
    const orders = Array.from({ length: 60 }, () => randomUUID());
    const outcomes = await Promise.allSettled(
      orders.map((orderId) =>
        catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 1 }] }),
      ),
    );

    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(succeeded).toHaveLength(10);
    expect(failed).toHaveLength(50);
    for (const failure of failed) {
      expect(failure.reason).toBeInstanceOf(ProblemError);
      expect((failure.reason as ProblemError).status).toBe(409);
      expect((failure.reason as ProblemError).message).toContain(product.sku);
    }
    expect(await getStockLevel(db, product.id)).toEqual({
      productId: product.id,
      onHand: 10,
      reserved: 10,
      available: 0,
    });
    const reserved = await outboxEvents(db, 'stock.reserved');
    const forProduct = reserved.filter((row) =>
      (row.payload as { items: { productId: string }[] }).items.some(
        (item) => item.productId === product.id,
      ),
    );
    expect(forProduct).toHaveLength(10);
  });

  it('does not double-decrement when the same order is reserved again, even concurrently', async () => {
    const product = await productWithStock(5);
    const orderId = randomUUID();
    const input = { orderId, items: [{ productId: product.id, quantity: 2 }] };
    const results = await Promise.all([
      catalog.api.reserveStock(input),
      catalog.api.reserveStock(input),
      catalog.api.reserveStock(input),
    ]);
    for (const result of results) {
      expect(result).toEqual({ orderId, status: 'reserved', items: input.items });
    }
    expect(await catalog.api.reserveStock(input)).toEqual(results[0]);
    expect((await getStockLevel(db, product.id)).reserved).toBe(2);
    expect(await eventsFor('stock.reserved', orderId)).toHaveLength(1);

    // The same order asking for different items is a conflict, not a silent second reservation.
    const other = await rejection(
      catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 3 }] }),
    );
    expect(other.status).toBe(409);
    expect((await getStockLevel(db, product.id)).reserved).toBe(2);
  });
});

describe('releaseStock and commitStock', () => {
  it('release returns the stock and publishes stock.released once, however often it is called', async () => {
    const product = await productWithStock(8);
    const orderId = randomUUID();
    await catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 3 }] });
    expect((await getStockLevel(db, product.id)).available).toBe(5);

    const [first, second] = await Promise.all([
      catalog.api.releaseStock(orderId, 'payment failed'),
      catalog.api.releaseStock(orderId, 'payment failed'),
    ]);
    expect(first?.status).toBe('released');
    expect(second?.status).toBe('released');
    expect(await catalog.api.releaseStock(orderId, 'again')).toMatchObject({ status: 'released' });
    expect(await getStockLevel(db, product.id)).toMatchObject({
      onHand: 8,
      reserved: 0,
      available: 8,
    });

    const released = await eventsFor('stock.released', orderId);
    expect(released).toHaveLength(1);
    expect(released[0]?.payload).toEqual({
      orderId,
      items: [{ productId: product.id, quantity: 3 }],
      reason: 'payment failed',
    });
    // Releasing an order that never reserved anything is a no-op too.
    expect(await catalog.api.releaseStock(randomUUID(), 'never reserved')).toBeUndefined();
    // A released reservation cannot be committed.
    expect((await rejection(catalog.api.commitStock(orderId))).status).toBe(409);
  });

  it('commit moves the reserved units out of on hand, once', async () => {
    const product = await productWithStock(10);
    const orderId = randomUUID();
    await catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 4 }] });
    expect(await catalog.api.commitStock(orderId)).toMatchObject({ status: 'committed' });
    expect(await catalog.api.commitStock(orderId)).toMatchObject({ status: 'committed' });
    expect(await getStockLevel(db, product.id)).toMatchObject({
      onHand: 6,
      reserved: 0,
      available: 6,
    });
    // Release after commit changes nothing: the goods have left.
    expect(await catalog.api.releaseStock(orderId, 'too late')).toMatchObject({
      status: 'committed',
    });
    expect(await getStockLevel(db, product.id)).toMatchObject({ onHand: 6, reserved: 0 });
    expect(await eventsFor('stock.released', orderId)).toHaveLength(0);
    expect((await rejection(catalog.api.commitStock(randomUUID()))).status).toBe(404);
  });
});

describe('all or nothing', () => {
  it('reserves nothing and publishes nothing when one item of several is short', async () => {
    const plenty = await productWithStock(50);
    const scarce = await productWithStock(1);
    const orderId = randomUUID();
    const error = await rejection(
      catalog.api.reserveStock({
        orderId,
        items: [
          { productId: plenty.id, quantity: 5 },
          { productId: scarce.id, quantity: 2 },
        ],
      }),
    );
    expect(error.status).toBe(409);
    expect(error.message).toContain(scarce.sku);
    expect((await getStockLevel(db, plenty.id)).reserved).toBe(0);
    expect((await getStockLevel(db, scarce.id)).reserved).toBe(0);
    expect(await catalog.api.releaseStock(orderId, 'nothing held')).toBeUndefined();
    expect(await eventsFor('stock.reserved', orderId)).toHaveLength(0);
  });

  it('publishes nothing and moves no stock when the caller’s transaction rolls back', async () => {
    const product = await productWithStock(5);
    const orderId = randomUUID();
    const aborted = new Error('the caller changed its mind');
    await expect(
      db.transaction(async (tx) => {
        await reserveStock(tx, deps.events, {
          orderId,
          items: [{ productId: product.id, quantity: 2 }],
        });
        throw aborted;
      }),
    ).rejects.toBe(aborted);
    expect((await getStockLevel(db, product.id)).reserved).toBe(0);
    expect(await eventsFor('stock.reserved', orderId)).toHaveLength(0);
  });

  it('answers 404 for unknown or archived products and 409 for inactive ones', async () => {
    const unknown = await rejection(
      catalog.api.reserveStock({
        orderId: randomUUID(),
        items: [{ productId: randomUUID(), quantity: 1 }],
      }),
    );
    expect(unknown.status).toBe(404);

    const archived = await productWithStock(5);
    await archiveProduct(deps, archived.id);
    const gone = await rejection(
      catalog.api.reserveStock({
        orderId: randomUUID(),
        items: [{ productId: archived.id, quantity: 1 }],
      }),
    );
    expect(gone.status).toBe(404);

    const inactive = await productWithStock(5, false);
    const notForSale = await rejection(
      catalog.api.reserveStock({
        orderId: randomUUID(),
        items: [{ productId: inactive.id, quantity: 1 }],
      }),
    );
    expect(notForSale.status).toBe(409);

    const invalid = await rejection(
      catalog.api.reserveStock({
        orderId: 'not-a-uuid',
        items: [{ productId: inactive.id, quantity: 0 }],
      }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.problem.errors?.map((e) => e.path)).toEqual(['orderId', 'items.0.quantity']);
  });

  it('sums repeated lines of one product into one reservation line', async () => {
    const product = await productWithStock(5);
    const orderId = randomUUID();
    const reservation = await catalog.api.reserveStock({
      orderId,
      items: [
        { productId: product.id, quantity: 1 },
        { productId: product.id, quantity: 2 },
      ],
    });
    expect(reservation.items).toEqual([{ productId: product.id, quantity: 3 }]);
    expect((await getStockLevel(db, product.id)).reserved).toBe(3);
    expect(await eventsFor('stock.reserved', orderId)).toHaveLength(1);
  });
});
