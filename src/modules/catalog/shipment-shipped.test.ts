import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { eventually } from '../../../test/support/services.ts';
import { deliveries } from '../../platform/bus/schema.ts';
import type { Module } from '../../platform/module.ts';
import { shipmentShipped } from '../shipping/index.ts';
import { type CatalogApi, createCatalogModule } from './index.ts';
import { createProduct, getStockLevel } from './service.ts';
import { findReservation } from './stock.ts';

let harness: ModuleHarness;
let catalog: Module<CatalogApi>;

beforeAll(async () => {
  harness = await openModuleHarness('catalog-shipment-shipped');
  catalog = createCatalogModule(harness.context);
  harness.bus.subscribe(...(catalog.subscriptions ?? []));
  await harness.bus.start();
});
afterAll(async () => {
  await harness.cleanup();
});

let skuCounter = 0;
async function productWithStock(initialStock: number) {
  skuCounter += 1;
  return createProduct(
    { db: harness.db, events: harness.bus },
    {
      sku: `SHIPPED-${skuCounter}`,
      name: `Shipped test ${skuCounter}`,
      description: '',
      price: { amountMinor: 1000, currency: 'EUR' },
      active: true,
      initialStock,
    },
  );
}

/** Publishes shipment.shipped for the order and returns the event's id. */
async function ship(orderId: string): Promise<string> {
  const payload = {
    shipmentId: randomUUID(),
    orderId,
    userId: randomUUID(),
    carrier: 'DHL',
    trackingNumber: `TRK-${randomUUID()}`,
  };
  const envelope = await harness.db.transaction((tx) =>
    harness.bus.publish(tx, shipmentShipped, payload),
  );
  return envelope.metadata.id;
}

/** Waits until the catalog's subscriber has handled the event (so its effects are visible). */
async function handled(eventId: string) {
  await eventually(async () => {
    const [row] = await harness.db
      .select({ status: deliveries.status })
      .from(deliveries)
      .where(
        and(
          eq(deliveries.eventId, eventId),
          eq(deliveries.subscriber, 'catalog.commit-on-shipment-shipped'),
        ),
      );
    expect(row?.status).toBe('delivered');
  });
}

const stockOf = (productId: string) => getStockLevel(harness.db, productId);

describe('catalog.commit-on-shipment-shipped', () => {
  it('commits a shipped order’s reservation once, even when shipment.shipped comes twice', async () => {
    const product = await productWithStock(10);
    const orderId = randomUUID();
    const otherOrderId = randomUUID();
    await catalog.api.reserveStock({ orderId, items: [{ productId: product.id, quantity: 3 }] });
    await catalog.api.reserveStock({
      orderId: otherOrderId,
      items: [{ productId: product.id, quantity: 2 }],
    });
    expect(await stockOf(product.id)).toMatchObject({ onHand: 10, reserved: 5, available: 5 });

    await ship(orderId);
    await eventually(async () => {
      expect(await stockOf(product.id)).toEqual({
        productId: product.id,
        onHand: 7,
        reserved: 2,
        available: 5,
      });
    });
    expect(await findReservation(harness.db, orderId)).toMatchObject({ status: 'committed' });

    // A second shipment.shipped (another event id, so the inbox does not stop it) moves nothing.
    await handled(await ship(orderId));
    expect(await stockOf(product.id)).toEqual({
      productId: product.id,
      onHand: 7,
      reserved: 2,
      available: 5,
    });
    // The other order's reservation is untouched until its own parcel ships.
    expect(await findReservation(harness.db, otherOrderId)).toMatchObject({ status: 'reserved' });
    expect(await harness.bus.deadDeliveries()).toEqual([]);
  });

  it('leaves stock alone for an order with no reservation or a released one, and parks nothing', async () => {
    const product = await productWithStock(10);
    const releasedOrderId = randomUUID();
    await catalog.api.reserveStock({
      orderId: releasedOrderId,
      items: [{ productId: product.id, quantity: 4 }],
    });
    await catalog.api.releaseStock(releasedOrderId, 'order cancelled');
    const before = await stockOf(product.id);
    expect(before).toMatchObject({ onHand: 10, reserved: 0, available: 10 });

    const shipped = [await ship(releasedOrderId), await ship(randomUUID())];
    for (const eventId of shipped) await handled(eventId);
    // A short wait past handling, so a failing delivery would have had its retries and died.
    await sleep(300);

    expect(await stockOf(product.id)).toEqual(before);
    expect(await findReservation(harness.db, releasedOrderId)).toMatchObject({
      status: 'released',
    });
    expect(await harness.bus.deadDeliveries()).toEqual([]);
  });
});
