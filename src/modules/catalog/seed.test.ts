import { count, eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedTestDatabase } from '../../../test/support/services.ts';
import { createEventBus } from '../../platform/bus/event-bus.ts';
import { outbox } from '../../platform/bus/schema.ts';
import { loadConfig } from '../../platform/config.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import { type CatalogApi, createCatalogModule } from './index.ts';
import { products, stock } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let catalog: Module<CatalogApi>;

beforeAll(async () => {
  const test = await openMigratedTestDatabase('catalog-seed');
  db = test.handle.db;
  cleanup = test.cleanup;
  const logger = pino({ level: 'silent' });
  const events = createEventBus({ db, logger, maxAttempts: 3, retryBaseMs: 10 });
  catalog = createCatalogModule({ config: loadConfig({}), db, events, logger });
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
