import { and, asc, count, desc, eq, gte, ilike, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Database, Executor, Transaction } from '../../platform/db/database.ts';
import { arrayLiteral, builtOnce } from '../../platform/db/prepared.ts';
import { conflict, notFound } from '../../platform/http/problem.ts';
import type {
  CreateProductInput,
  ListProductsQuery,
  Product,
  ProductPage,
  ProductSort,
  StockLevel,
  UpdateProductInput,
} from './contracts.ts';
import { productChanged } from './events.ts';
import { products, stock } from './schema.ts';

/** What the catalog's use cases run on. */
export interface CatalogDeps {
  db: Database;
  events: EventPublisher;
}

type ProductRow = typeof products.$inferSelect;

/** The one place a product row becomes the API's shape. */
export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: { amountMinor: row.priceMinor, currency: row.currency },
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const live = isNull(products.deletedAt);

/** `%` and `_` typed by a user are literal characters, not wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

const orderings: Record<ProductSort, SQL[]> = {
  name: [asc(sql`lower(${products.name})`)],
  '-name': [desc(sql`lower(${products.name})`)],
  price: [asc(products.priceMinor)],
  '-price': [desc(products.priceMinor)],
  createdAt: [asc(products.createdAt)],
  '-createdAt': [desc(products.createdAt)],
};

/** Which of a list query's filters are given: each such shape is one prepared query pair. */
const shapeOf = (query: ListProductsQuery) =>
  [
    query.sort,
    query.q !== undefined,
    query.minPrice !== undefined,
    query.maxPrice !== undefined,
    query.currency !== undefined,
    query.active !== undefined,
  ].join();

type ListValues = {
  pattern: string | undefined;
  minPrice: number | undefined;
  maxPrice: number | undefined;
  currency: string | undefined;
  active: boolean | undefined;
  limit: number;
  offset: number;
};

/** A page and its total for one shape of list query, the given filters' values as placeholders. */
function buildListQueries(query: ListProductsQuery) {
  const conditions: (SQL | undefined)[] = [live];
  if (query.q !== undefined) {
    const pattern = sql.placeholder('pattern');
    conditions.push(
      or(
        ilike(products.name, pattern),
        ilike(products.description, pattern),
        ilike(products.sku, pattern),
      ),
    );
  }
  if (query.minPrice !== undefined)
    conditions.push(gte(products.priceMinor, sql.placeholder('minPrice')));
  if (query.maxPrice !== undefined)
    conditions.push(lte(products.priceMinor, sql.placeholder('maxPrice')));
  if (query.currency !== undefined)
    conditions.push(eq(products.currency, sql.placeholder('currency')));
  if (query.active !== undefined) conditions.push(eq(products.active, sql.placeholder('active')));
  const where = and(...conditions);
  return {
    rows: builtOnce<ListValues>()((db) =>
      db
        .select()
        .from(products)
        .where(where)
        // The id breaks ties so pages never overlap or skip rows.
        .orderBy(...orderings[query.sort], asc(products.id))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset')),
    ),
    total: builtOnce<ListValues>()((db) =>
      db.select({ total: count() }).from(products).where(where),
    ),
  };
}

// At most 6 sorts × 2⁵ filter combinations.
const listQueries = new Map<string, ReturnType<typeof buildListQueries>>();

export async function listProducts(db: Executor, query: ListProductsQuery): Promise<ProductPage> {
  const shape = shapeOf(query);
  let queries = listQueries.get(shape);
  if (!queries) {
    queries = buildListQueries(query);
    listQueries.set(shape, queries);
  }
  const values = {
    pattern: query.q === undefined ? undefined : `%${escapeLike(query.q)}%`,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    currency: query.currency,
    active: query.active,
    limit: query.pageSize,
    offset: (query.page - 1) * query.pageSize,
  };
  const [rows, totals] = await Promise.all([queries.rows(db, values), queries.total(db, values)]);
  return {
    items: rows.map(toProduct),
    page: query.page,
    pageSize: query.pageSize,
    total: totals[0]?.total ?? 0,
  };
}

const findLiveProduct = builtOnce<{ id: string }>()((db) =>
  db
    .select()
    .from(products)
    .where(and(eq(products.id, sql.placeholder('id')), live)),
);

/** A live product, or undefined when it does not exist or was archived. */
export async function findProduct(db: Executor, id: string): Promise<Product | undefined> {
  const [row] = await findLiveProduct(db, { id });
  return row && toProduct(row);
}

export async function getProduct(db: Executor, id: string): Promise<Product> {
  const product = await findProduct(db, id);
  if (!product) throw notFound(`Product ${id} does not exist.`);
  return product;
}

/** Every checkout prices its lines with it: built once, the ids as one array literal. */
const liveProductsAmong = builtOnce<{ ids: string }>()((db) =>
  db
    .select()
    .from(products)
    .where(and(sql`${products.id} = any(${sql.placeholder('ids')}::uuid[])`, live)),
);

/** The live products among `ids`, in no particular order; unknown and archived ids are left out. */
export async function findProducts(db: Executor, ids: readonly string[]): Promise<Product[]> {
  if (ids.length === 0) return [];
  const rows = await liveProductsAmong(db, { ids: arrayLiteral([...new Set(ids)]) });
  return rows.map(toProduct);
}

async function publishProductChanged(
  tx: Executor,
  events: EventPublisher,
  product: Product,
  change: 'created' | 'updated' | 'archived',
  context?: EventContext,
): Promise<void> {
  await events.publish(
    tx,
    productChanged,
    {
      productId: product.id,
      sku: product.sku,
      name: product.name,
      price: product.price,
      active: product.active,
      change,
    },
    context,
  );
}

/** Creates a product and its stock row; a SKU already taken (even by an archived product) is a 409. */
export async function createProductIn(
  tx: Transaction,
  events: EventPublisher,
  input: CreateProductInput,
  context?: EventContext,
): Promise<Product> {
  const [row] = await tx
    .insert(products)
    .values({
      sku: input.sku,
      name: input.name,
      description: input.description,
      priceMinor: input.price.amountMinor,
      currency: input.price.currency,
      active: input.active,
    })
    .onConflictDoNothing({ target: products.sku })
    .returning();
  if (!row) throw conflict(`A product with SKU ${input.sku} already exists.`);
  await tx.insert(stock).values({ productId: row.id, onHand: input.initialStock });
  const product = toProduct(row);
  await publishProductChanged(tx, events, product, 'created', context);
  return product;
}

export function createProduct(
  deps: CatalogDeps,
  input: CreateProductInput,
  context?: EventContext,
): Promise<Product> {
  return deps.db.transaction((tx) => createProductIn(tx, deps.events, input, context));
}

export function updateProduct(
  deps: CatalogDeps,
  id: string,
  patch: UpdateProductInput,
  context?: EventContext,
): Promise<Product> {
  const update = deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(products)
      .set({
        ...(patch.sku !== undefined && { sku: patch.sku }),
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.price !== undefined && {
          priceMinor: patch.price.amountMinor,
          currency: patch.price.currency,
        }),
        ...(patch.active !== undefined && { active: patch.active }),
        updatedAt: sql`now()`,
      })
      .where(and(eq(products.id, id), live))
      .returning();
    if (!row) throw notFound(`Product ${id} does not exist.`);
    const product = toProduct(row);
    await publishProductChanged(tx, deps.events, product, 'updated', context);
    return product;
  });
  return update.catch((error: unknown) => {
    if (isUniqueViolation(error)) throw conflict(`A product with SKU ${patch.sku} already exists.`);
    throw error;
  });
}

/** drizzle wraps the driver's error, so the SQLSTATE may sit one or more causes down. */
function isUniqueViolation(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ((current as Error & { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** Soft delete: the product disappears from reads, its stock and reservations stay for the record. */
export function archiveProduct(
  deps: CatalogDeps,
  id: string,
  context?: EventContext,
): Promise<void> {
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .update(products)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(products.id, id), live))
      .returning();
    if (!row) throw notFound(`Product ${id} does not exist.`);
    await publishProductChanged(tx, deps.events, toProduct(row), 'archived', context);
  });
}

export async function getStockLevel(db: Executor, productId: string): Promise<StockLevel> {
  const [row] = await db
    .select({ onHand: stock.onHand, reserved: stock.reserved })
    .from(stock)
    .innerJoin(products, eq(products.id, stock.productId))
    .where(and(eq(stock.productId, productId), live));
  if (!row) throw notFound(`Product ${productId} does not exist.`);
  return { productId, ...row, available: row.onHand - row.reserved };
}

/** Sets the units on hand (a stock count); it may not drop below what is reserved for orders. */
export function setStockOnHand(
  deps: CatalogDeps,
  productId: string,
  onHand: number,
  context?: EventContext,
): Promise<StockLevel> {
  return deps.db.transaction(async (tx) => {
    // Locks the product row so an archive cannot slip in between the check and the update.
    const [productRow] = await tx
      .select()
      .from(products)
      .where(and(eq(products.id, productId), live))
      .for('update');
    if (!productRow) throw notFound(`Product ${productId} does not exist.`);
    // Conditional, so a reservation committed meanwhile is respected without a separate read.
    const [row] = await tx
      .update(stock)
      .set({ onHand, updatedAt: sql`now()` })
      .where(and(eq(stock.productId, productId), lte(stock.reserved, onHand)))
      .returning({ onHand: stock.onHand, reserved: stock.reserved });
    if (!row) {
      const current = await getStockLevel(tx, productId);
      throw conflict(
        `On hand for product ${productRow.sku} cannot be ${onHand}: ${current.reserved} units are reserved for orders.`,
      );
    }
    await publishProductChanged(tx, deps.events, toProduct(productRow), 'updated', context);
    return { productId, ...row, available: row.onHand - row.reserved };
  });
}

/** Fewer units available than this, and a product counts as running low. */
export const LOW_STOCK_THRESHOLD = 5;

export interface CatalogStats {
  /** Live products: archived ones are left out. */
  products: number;
  /** Live products with fewer than LOW_STOCK_THRESHOLD units available (on hand - reserved). */
  lowStock: number;
}

/** The catalog's figures for the admin dashboard, in one query. */
export async function catalogStats(db: Executor): Promise<CatalogStats> {
  const available = sql`${stock.onHand} - ${stock.reserved}`;
  const [row] = await db
    .select({
      products: count(),
      lowStock: count(sql`case when ${available} < ${LOW_STOCK_THRESHOLD} then 1 end`),
    })
    .from(products)
    .innerJoin(stock, eq(stock.productId, products.id))
    .where(live);
  return { products: row?.products ?? 0, lowStock: row?.lowStock ?? 0 };
}
