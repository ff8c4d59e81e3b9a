import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireRole } from '../../platform/auth/authenticate.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { AppEnv } from '../../platform/http/app-env.ts';
import { problemSchema } from '../../platform/http/problem.ts';
import { createRouter } from '../../platform/http/router.ts';
import {
  createProductSchema,
  listProductsQuerySchema,
  productIdSchema,
  productPageSchema,
  productSchema,
  setStockSchema,
  stockLevelSchema,
  updateProductSchema,
} from './contracts.ts';
import {
  archiveProduct,
  type CatalogDeps,
  createProduct,
  getProduct,
  getStockLevel,
  listProducts,
  setStockOnHand,
  updateProduct,
} from './service.ts';

const tags = ['catalog'];
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});
const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParams = z.object({ id: productIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/json': { schema } },
});
const adminErrors = {
  401: problem('No admin token'),
  403: problem('Wrong admin token'),
};

const listRoute = createRoute({
  method: 'get',
  path: '/products',
  tags,
  summary: 'List products, with search, price range and sorting',
  request: { query: listProductsQuerySchema },
  responses: {
    200: json(productPageSchema, 'A page of products'),
    400: problem('Invalid query'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/products/{id}',
  tags,
  summary: 'One product',
  request: { params: idParams },
  responses: {
    200: json(productSchema, 'The product'),
    400: problem('Invalid id'),
    404: problem('No such product, or archived'),
  },
});

const getStockRoute = createRoute({
  method: 'get',
  path: '/products/{id}/stock',
  tags,
  summary: "A product's stock: on hand, reserved for orders, available",
  request: { params: idParams },
  responses: {
    200: json(stockLevelSchema, 'Stock level'),
    400: problem('Invalid id'),
    404: problem('No such product, or archived'),
  },
});

const createProductRoute = createRoute({
  method: 'post',
  path: '/products',
  tags,
  summary: 'Create a product (admin)',
  security: [{ bearer: [] }],
  request: { body: jsonBody(createProductSchema) },
  responses: {
    201: {
      ...json(productSchema, 'Created'),
      headers: z.object({ Location: z.string() }),
    },
    400: problem('Invalid product'),
    ...adminErrors,
    409: problem('SKU already taken'),
  },
});

const updateProductRoute = createRoute({
  method: 'patch',
  path: '/products/{id}',
  tags,
  summary: 'Change a product (admin)',
  security: [{ bearer: [] }],
  request: { params: idParams, body: jsonBody(updateProductSchema) },
  responses: {
    200: json(productSchema, 'Updated'),
    400: problem('Invalid change'),
    ...adminErrors,
    404: problem('No such product, or archived'),
    409: problem('SKU already taken'),
  },
});

const archiveProductRoute = createRoute({
  method: 'delete',
  path: '/products/{id}',
  tags,
  summary: 'Archive a product (admin); its reservations are kept',
  security: [{ bearer: [] }],
  request: { params: idParams },
  responses: {
    204: { description: 'Archived' },
    400: problem('Invalid id'),
    ...adminErrors,
    404: problem('No such product, or archived'),
  },
});

const setStockRoute = createRoute({
  method: 'put',
  path: '/products/{id}/stock',
  tags,
  summary: 'Set the units on hand (admin)',
  security: [{ bearer: [] }],
  request: { params: idParams, body: jsonBody(setStockSchema) },
  responses: {
    200: json(stockLevelSchema, 'New stock level'),
    400: problem('Invalid stock'),
    ...adminErrors,
    404: problem('No such product, or archived'),
    409: problem('On hand would fall below what is reserved'),
  },
});

/** The request's ids travel with the events it causes. */
const eventContext = (c: Context<AppEnv>): EventContext => ({
  correlationId: c.var.requestId,
  traceId: c.var.traceId,
});

export function catalogRoutes(deps: CatalogDeps) {
  const router = createRouter();
  // Route middleware runs before validation: a caller without the role learns nothing else.
  const admin = { middleware: [requireRole('admin')] };

  router.openapi(listRoute, async (c) =>
    c.json(await listProducts(deps.db, c.req.valid('query')), 200),
  );

  router.openapi(getRoute, async (c) =>
    c.json(await getProduct(deps.db, c.req.valid('param').id), 200),
  );

  router.openapi(getStockRoute, async (c) =>
    c.json(await getStockLevel(deps.db, c.req.valid('param').id), 200),
  );

  router.openapi({ ...createProductRoute, ...admin }, async (c) => {
    const product = await createProduct(deps, c.req.valid('json'), eventContext(c));
    c.header('Location', `${c.req.path}/${product.id}`);
    return c.json(product, 201);
  });

  router.openapi({ ...updateProductRoute, ...admin }, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await updateProduct(deps, id, c.req.valid('json'), eventContext(c)), 200);
  });

  router.openapi({ ...archiveProductRoute, ...admin }, async (c) => {
    await archiveProduct(deps, c.req.valid('param').id, eventContext(c));
    return c.body(null, 204);
  });

  router.openapi({ ...setStockRoute, ...admin }, async (c) => {
    const { id } = c.req.valid('param');
    const { onHand } = c.req.valid('json');
    return c.json(await setStockOnHand(deps, id, onHand, eventContext(c)), 200);
  });

  return router;
}
