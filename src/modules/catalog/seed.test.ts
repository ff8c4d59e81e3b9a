import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModuleHarness } from '../../../test/support/module-harness.ts';
import { outbox } from '../../platform/bus/schema.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import { type CatalogApi, createCatalogModule } from './index.ts';
import { products, stock } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let catalog: Module<CatalogApi>;

beforeAll(async () => {
  const harness = await openModuleHarness('catalog-seed');
  ({ db, cleanup } = harness);
  catalog = createCatalogModule(harness.context);
});
afterAll(async () => {
  await cleanup();
});

const productCount = async () => (await db.select({ total: count() }).from(products))[0]?.total;

describe('catalog demo data', () => {
  it('seeds at least 20 varied EUR products with stock between 5 and 200, once', async () => {
    await catalog.seed!();
    const seeded = await db
      .select({
        sku: products.sku,
        priceMinor: products.priceMinor,
        currency: products.currency,
        onHand: stock.onHand,
      })
      .from(products)
      .innerJoin(stock, eq(stock.productId, products.id));
    expect(seeded.length).toBeGreaterThanOrEqual(20);
    expect(new Set(seeded.map((row) => row.currency))).toEqual(new Set(['EUR']));
    expect(new Set(seeded.map((row) => row.priceMinor)).size).toBeGreaterThan(10);
    for (const row of seeded) {
      expect(row.onHand).toBeGreaterThanOrEqual(5);
      expect(row.onHand).toBeLessThanOrEqual(200);
    }
    const created = await db
      .select({ total: count() })
      .from(outbox)
      .where(eq(outbox.name, 'product.changed'));
    expect(created[0]?.total).toBe(seeded.length);

    // Twice in a row, and twice at once: the catalog is never filled again.
    await catalog.seed!();
    await Promise.all([catalog.seed!(), catalog.seed!()]);
    expect(await productCount()).toBe(seeded.length);
  });
});
