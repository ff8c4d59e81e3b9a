import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';

// The limit `bench:read` holds the monolith's catalog reads against: the same stack at its
// barest, a Hono app on @hono/node-server running the monolith's own SQL through postgres.js
// (prepared, a pool as large as the monolith's) and answering the same JSON, with no
// validation, middleware, logging or metrics. Its own process; DATABASE_URL is the monolith's.

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_minor: number;
  currency: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

const sql = postgres(process.env.DATABASE_URL ?? '', { max: 10, onnotice: () => {} });
const COLUMNS = sql`"id", "sku", "name", "description", "price_minor", "currency", "active", "created_at", "updated_at", "deleted_at"`;

const toProduct = (row: ProductRow) => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  description: row.description,
  price: { amountMinor: row.price_minor, currency: row.currency },
  active: row.active,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const app = new Hono();
app.get('/api/products/:id', async (c) => {
  const [row] = await sql<ProductRow[]>`select ${COLUMNS} from "catalog"."products"
    where ("catalog"."products"."id" = ${c.req.param('id')} and "catalog"."products"."deleted_at" is null)`;
  return row ? c.json(toProduct(row)) : c.json({ status: 404 }, 404);
});
app.get('/api/products', async (c) => {
  const pageSize = Number(c.req.query('pageSize') ?? 20);
  const [rows, [totals]] = await Promise.all([
    sql<ProductRow[]>`select ${COLUMNS} from "catalog"."products"
      where "catalog"."products"."deleted_at" is null
      order by "catalog"."products"."created_at" desc, "catalog"."products"."id" asc limit ${pageSize}`,
    sql<{ count: string }[]>`select count(*) from "catalog"."products"
      where "catalog"."products"."deleted_at" is null`,
  ]);
  return c.json({
    items: rows.map(toProduct),
    page: 1,
    pageSize,
    total: Number(totals?.count ?? 0),
  });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, ({ port }) => {
  process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void sql.end({ timeout: 1 }).then(() => process.exit(0));
});
