import { apiCallParser } from '../../platform/api-call.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import {
  orderIdSchema,
  type Product,
  productIdSchema,
  type Reservation,
  type ReserveStockInput,
  reserveStockSchema,
} from './contracts.ts';
import { catalogRoutes } from './routes.ts';
import { catalog } from './schema.ts';
import { seedCatalog } from './seed.ts';
import {
  type CatalogDeps,
  type CatalogStats,
  catalogStats,
  findProduct,
  findProducts,
} from './service.ts';
import { commitOnShipmentShipped } from './shipment-shipped.ts';
import { commitStock, releaseStock, reserveStock } from './stock.ts';

export type {
  Money,
  Product,
  Reservation,
  ReservationStatus,
  ReserveStockInput,
  StockItem,
} from './contracts.ts';

import { productChanged, stockReleased, stockReserved } from './events.ts';

export type { CatalogStats } from './service.ts';
export { productChanged, stockReleased, stockReserved };

/** What other modules (orders, cart) may ask of the catalog, through their own ports. */
export interface CatalogApi {
  /** A live product; undefined when unknown or archived. */
  getProduct(id: string): Promise<Product | undefined>;
  /** The live products among `ids`; unknown and archived ids are left out. */
  getProducts(ids: readonly string[]): Promise<Product[]>;
  /**
   * All items or none, idempotent per order. Throws ProblemError: 404 unknown or archived
   * product, 409 insufficient stock, inactive product, or the order already holds other items.
   */
  reserveStock(input: ReserveStockInput, context?: EventContext): Promise<Reservation>;
  /** Idempotent; undefined when the order never reserved anything. */
  releaseStock(
    orderId: string,
    reason: string,
    context?: EventContext,
  ): Promise<Reservation | undefined>;
  /** Idempotent. Throws ProblemError 404 (no reservation) or 409 (already released). */
  commitStock(orderId: string): Promise<Reservation>;
  /** Live products, and how many have fewer than 5 units available (the admin dashboard's). */
  stats(): Promise<CatalogStats>;
}

const parse = apiCallParser('the catalog');

// Async throughout, so a bad call is a rejected promise like every other failure.
// An id that is not a uuid names no product; it is left out rather than sent to Postgres.
const isProductId = (id: string) => productIdSchema.safeParse(id).success;

export function createCatalogModule(context: ModuleContext): Module<CatalogApi> {
  const deps: CatalogDeps = { db: context.db, events: context.events };
  const { db, events } = deps;
  return defineModule<CatalogApi>({
    name: 'catalog',
    schema: catalog,
    routes: catalogRoutes(deps),
    publishes: [productChanged, stockReserved, stockReleased],
    subscriptions: [commitOnShipmentShipped],
    seed: async () => {
      const created = await seedCatalog(deps);
      if (created > 0) context.logger.info({ products: created }, 'catalog demo data seeded');
    },
    api: {
      getProduct: async (id) => (isProductId(id) ? findProduct(db, id) : undefined),
      getProducts: (ids) => findProducts(db, ids.filter(isProductId)),
      reserveStock: async (input, eventContext) => {
        const valid = parse(reserveStockSchema, input);
        return db.transaction((tx) => reserveStock(tx, events, valid, eventContext));
      },
      releaseStock: async (orderId, reason, eventContext) => {
        const valid = parse(orderIdSchema, orderId);
        return db.transaction((tx) => releaseStock(tx, events, valid, reason, eventContext));
      },
      commitStock: async (orderId) => {
        const valid = parse(orderIdSchema, orderId);
        return db.transaction((tx) => commitStock(tx, valid));
      },
      stats: () => catalogStats(db),
    },
  });
}
