import type { CatalogApi } from '../../modules/catalog/index.ts';
import type { Inventory } from '../../modules/orders/index.ts';

/** Orders' Inventory port, answered by the catalog's stock reservations in this process. */
export function inProcessInventory(
  catalog: Pick<CatalogApi, 'reserveStock' | 'releaseStock'>,
): Inventory {
  return {
    async reserve(orderId, items, context) {
      await catalog.reserveStock({ orderId, items }, context);
    },
    async release(orderId, reason, context) {
      await catalog.releaseStock(orderId, reason, context);
    },
  };
}
