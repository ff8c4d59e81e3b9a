import { and, asc, eq, sql } from 'drizzle-orm';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { Database, Executor, Transaction } from '../../platform/db/database.ts';
import { conflict, notFound } from '../../platform/http/problem.ts';
import { MAX_AMOUNT_MINOR } from '../../platform/money.ts';
import {
  type AddItemInput,
  type Cart,
  type CartProduct,
  DEFAULT_CURRENCY,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
} from './contracts.ts';
import type { CartProducts, OrderPlacement } from './ports.ts';
import { cartItems, carts } from './schema.ts';

/** What the cart's use cases run on. */
export interface CartDeps {
  db: Database;
  events: EventPublisher;
  products: CartProducts;
  orders: OrderPlacement;
}

type ItemRow = typeof cartItems.$inferSelect;

/** The one place cart rows become the API's shape. */
export function toCart(id: string, rows: ItemRow[]): Cart {
  const items = rows.map((row) => ({
    productId: row.productId,
    name: row.name,
    quantity: row.quantity,
    unitPrice: { amountMinor: row.unitPriceMinor, currency: row.currency },
    lineTotal: { amountMinor: row.unitPriceMinor * row.quantity, currency: row.currency },
  }));
  return {
    id,
    items,
    total: {
      amountMinor: items.reduce((sum, line) => sum + line.lineTotal.amountMinor, 0),
      currency: rows[0]?.currency ?? DEFAULT_CURRENCY,
    },
    itemCount: items.reduce((sum, line) => sum + line.quantity, 0),
  };
}

/** The user's cart id, if the user has a cart yet. */
export async function findCart(db: Executor, userId: string): Promise<string | undefined> {
  const [row] = await db.select({ id: carts.id }).from(carts).where(eq(carts.userId, userId));
  return row?.id;
}

/** The user's cart id; the cart is made on first use (idempotent under concurrency). */
async function ensureCart(db: Executor, userId: string): Promise<string> {
  await db.insert(carts).values({ userId }).onConflictDoNothing({ target: carts.userId });
  const cartId = await findCart(db, userId);
  if (cartId === undefined) throw new Error(`cart of user ${userId} vanished while being created`);
  return cartId;
}

/** Makes the cart if needed and locks it: edits of one cart run one after another. */
async function lockCart(tx: Transaction, userId: string): Promise<string> {
  await tx.insert(carts).values({ userId }).onConflictDoNothing({ target: carts.userId });
  const [row] = await tx
    .select({ id: carts.id })
    .from(carts)
    .where(eq(carts.userId, userId))
    .for('update');
  if (!row) throw new Error(`cart of user ${userId} vanished while being locked`);
  return row.id;
}

export function cartLines(db: Executor, cartId: string): Promise<ItemRow[]> {
  return db
    .select()
    .from(cartItems)
    .where(eq(cartItems.cartId, cartId))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.productId));
}

export async function getCart(db: Executor, userId: string): Promise<Cart> {
  const cartId = await ensureCart(db, userId);
  return toCart(cartId, await cartLines(db, cartId));
}

/**
 * Asked before the cart's transaction opens: the catalog answers from its own connection, and
 * on single-connection PGlite a call made while our transaction holds it would wait forever.
 */
async function sellableProduct(products: CartProducts, productId: string): Promise<CartProduct> {
  const [product] = await products.getProducts([productId]);
  if (!product) throw notFound(`Product ${productId} does not exist.`);
  if (!product.active) throw conflict(`Product ${product.name} is not for sale at the moment.`);
  return product;
}

/** Refuses a line that would mix currencies or push the total past what Money can hold. */
function checkLineFits(lines: ItemRow[], product: CartProduct, quantity: number): void {
  const others = lines.filter((line) => line.productId !== product.id);
  const foreign = others.find((line) => line.currency !== product.price.currency);
  if (foreign) {
    throw conflict(
      `The cart holds prices in ${foreign.currency}; ${product.name} is priced in ${product.price.currency}. One cart, one currency.`,
    );
  }
  const total = others.reduce(
    (sum, line) => sum + line.unitPriceMinor * line.quantity,
    product.price.amountMinor * quantity,
  );
  if (total > MAX_AMOUNT_MINOR) throw conflict('The cart total would exceed the largest amount.');
}

/** Writes the line with a fresh snapshot of the product's name and price. */
async function writeLine(
  tx: Transaction,
  cartId: string,
  product: CartProduct,
  quantity: number,
): Promise<void> {
  const snapshot = {
    quantity,
    unitPriceMinor: product.price.amountMinor,
    currency: product.price.currency,
    name: product.name,
  };
  await tx
    .insert(cartItems)
    .values({ cartId, productId: product.id, ...snapshot })
    .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: snapshot });
  await touch(tx, cartId);
}

async function touch(tx: Transaction, cartId: string): Promise<void> {
  await tx.update(carts).set({ updatedAt: sql`now()` }).where(eq(carts.id, cartId));
}

/** Adds units of a product; an existing line grows, and its price snapshot is taken anew. */
export async function addItem(deps: CartDeps, userId: string, input: AddItemInput): Promise<Cart> {
  const product = await sellableProduct(deps.products, input.productId);
  return deps.db.transaction(async (tx) => {
    const cartId = await lockCart(tx, userId);
    const lines = await cartLines(tx, cartId);
    const existing = lines.find((line) => line.productId === product.id);
    if (!existing && lines.length >= MAX_CART_LINES) {
      throw conflict(`A cart holds at most ${MAX_CART_LINES} different products.`);
    }
    const quantity = (existing?.quantity ?? 0) + input.quantity;
    if (quantity > MAX_LINE_QUANTITY) {
      throw conflict(
        `A line holds at most ${MAX_LINE_QUANTITY} units; the cart already has ${existing?.quantity ?? 0}.`,
      );
    }
    checkLineFits(lines, product, quantity);
    await writeLine(tx, cartId, product, quantity);
    return toCart(cartId, await cartLines(tx, cartId));
  });
}

/** Sets a line's quantity (taking a fresh price snapshot); 0 removes the line. */
export async function changeItem(
  deps: CartDeps,
  userId: string,
  productId: string,
  quantity: number,
): Promise<Cart> {
  // Removing must work for a product the catalog no longer sells, so it asks no one.
  if (quantity === 0) {
    return deps.db.transaction(async (tx) => {
      const cartId = await deleteLine(tx, userId, productId);
      return toCart(cartId, await cartLines(tx, cartId));
    });
  }
  const product = await sellableProduct(deps.products, productId);
  return deps.db.transaction(async (tx) => {
    const cartId = await lockCart(tx, userId);
    const lines = await cartLines(tx, cartId);
    if (!lines.some((line) => line.productId === productId)) throw lineNotFound(productId);
    checkLineFits(lines, product, quantity);
    await writeLine(tx, cartId, product, quantity);
    return toCart(cartId, await cartLines(tx, cartId));
  });
}

export function removeItem(deps: CartDeps, userId: string, productId: string): Promise<void> {
  return deps.db.transaction(async (tx) => {
    await deleteLine(tx, userId, productId);
  });
}

async function deleteLine(tx: Transaction, userId: string, productId: string): Promise<string> {
  const cartId = await lockCart(tx, userId);
  const deleted = await tx
    .delete(cartItems)
    .where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId)))
    .returning({ productId: cartItems.productId });
  if (deleted.length === 0) throw lineNotFound(productId);
  await touch(tx, cartId);
  return cartId;
}

const lineNotFound = (productId: string) => notFound(`Product ${productId} is not in the cart.`);
