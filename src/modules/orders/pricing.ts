import { ProblemError } from '../../platform/http/problem.ts';
import { MAX_AMOUNT_MINOR, type Money } from '../../platform/money.ts';
import type { OrderItem, OrderLineInput } from './contracts.ts';
import type { ProductPricing } from './ports.ts';

export interface PricedOrder {
  items: OrderItem[];
  total: Money;
}

const tooLarge = (path: string) =>
  new ProblemError(400, 'The order is too large to be paid in one payment.', {
    errors: [{ path, message: `must not exceed ${MAX_AMOUNT_MINOR} minor units` }],
  });

/**
 * Takes a price snapshot of every line from the catalog, as it is now. Unknown products are
 * bad input (400, with the line's path); inactive ones exist but are not for sale (409);
 * an order is paid in one currency (400 otherwise).
 */
export async function priceOrder(
  pricing: ProductPricing,
  lines: readonly OrderLineInput[],
): Promise<PricedOrder> {
  const products = await pricing.getProducts([...new Set(lines.map((line) => line.productId))]);
  const byId = new Map(products.map((product) => [product.id, product]));

  const unknown = lines.flatMap((line, index) =>
    byId.has(line.productId)
      ? []
      : [{ path: `items.${index}.productId`, message: `no product ${line.productId}` }],
  );
  if (unknown.length > 0) {
    throw new ProblemError(400, 'The order names products that do not exist.', {
      errors: unknown,
    });
  }
  const inactive = products.filter((product) => !product.active);
  if (inactive.length > 0) {
    const names = inactive.map((product) => `${product.name} (${product.id})`).join(', ');
    throw new ProblemError(409, `Not for sale at the moment: ${names}.`);
  }
  const currencies = new Set(products.map((product) => product.price.currency));
  const [currency] = currencies;
  if (currencies.size > 1 || !currency) {
    throw new ProblemError(
      400,
      `An order is paid in one currency; these products are priced in ${[...currencies].join(', ')}.`,
    );
  }

  let total = 0;
  const items = lines.map((line, index): OrderItem => {
    const product = byId.get(line.productId)!;
    const lineTotal = product.price.amountMinor * line.quantity;
    if (lineTotal > MAX_AMOUNT_MINOR) throw tooLarge(`items.${index}.quantity`);
    total += lineTotal;
    return {
      productId: product.id,
      name: product.name,
      quantity: line.quantity,
      unitPrice: product.price,
      lineTotal: { amountMinor: lineTotal, currency },
    };
  });
  if (total > MAX_AMOUNT_MINOR) throw tooLarge('items');
  return { items, total: { amountMinor: total, currency } };
}
