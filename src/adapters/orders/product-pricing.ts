import type { CatalogApi } from '../../modules/catalog/index.ts';
import type { ProductPricing } from '../../modules/orders/index.ts';

/** Orders' ProductPricing port, answered by the catalog in this process. */
export function inProcessProductPricing(catalog: Pick<CatalogApi, 'getProducts'>): ProductPricing {
  return {
    async getProducts(ids) {
      const products = await catalog.getProducts(ids);
      return products.map(({ id, name, price, active }) => ({ id, name, price, active }));
    },
  };
}
