import type { CartProducts } from '../../modules/cart/index.ts';
import type { CatalogApi } from '../../modules/catalog/index.ts';

/** The cart's product look-ups, answered in-process by the catalog's public API. */
export function cartProductsFromCatalog(catalog: Pick<CatalogApi, 'getProducts'>): CartProducts {
  return {
    async getProducts(ids) {
      const products = await catalog.getProducts(ids);
      return products.map(({ id, name, price, active }) => ({ id, name, price, active }));
    },
  };
}
