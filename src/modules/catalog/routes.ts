import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireRole } from '../../platform/auth/authenticate.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { AppEnv } from '../../platform/http/app-env.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
} from '../../platform/http/route-docs.ts';
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
const idParams = z.object({ id: productIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });

const listRoute = createRoute({
  method: 'get',
  path: '/products',
  operationId: 'listProducts',
  tags,
  summary: 'List products, with search, price range and sorting',
  request: { query: listProductsQuerySchema },
  responses: {
    200: jsonDoc(productPageSchema, 'A page of products'),
    400: problemDoc('Invalid query'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/products/{id}',
  operationId: 'getProduct',
  tags,
  summary: 'One product',
  request: { params: idParams },
  responses: {
    200: jsonDoc(productSchema, 'The product'),
    400: problemDoc('Invalid id'),
    404: problemDoc('No such product, or archived'),
  },
});

const getStockRoute = createRoute({
  method: 'get',
  path: '/products/{id}/stock',
  operationId: 'getStock',
  tags,
  summary: "A product's stock: on hand, reserved for orders, available",
  request: { params: idParams },
  responses: {
    200: jsonDoc(stockLevelSchema, 'Stock level'),
    400: problemDoc('Invalid id'),
    404: problemDoc('No such product, or archived'),
  },
});

const createProductRoute = createRoute({
  method: 'post',
  path: '/products',
  operationId: 'createProduct',
  tags,
  summary: 'Create a product (admin)',
  security: bearerSecurity,
  request: { body: jsonBody(createProductSchema) },
  responses: {
    201: {
      ...jsonDoc(productSchema, 'Created'),
      headers: z.object({ Location: z.string() }),
    },
    400: problemDoc('Invalid product'),
    ...authErrors,
    409: problemDoc('SKU already taken'),
  },
});

const updateProductRoute = createRoute({
  method: 'patch',
  path: '/products/{id}',
  operationId: 'updateProduct',
  tags,
  summary: 'Change a product (admin)',
  security: bearerSecurity,
  request: { params: idParams, body: jsonBody(updateProductSchema) },
  responses: {
    200: jsonDoc(productSchema, 'Updated'),
    400: problemDoc('Invalid change'),
    ...authErrors,
    404: problemDoc('No such product, or archived'),
    409: problemDoc('SKU already taken'),
  },
});

const archiveProductRoute = createRoute({
  method: 'delete',
  path: '/products/{id}',
  operationId: 'archiveProduct',
  tags,
  summary: 'Archive a product (admin); its reservations are kept',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    204: { description: 'Archived' },
    400: problemDoc('Invalid id'),
    ...authErrors,
    404: problemDoc('No such product, or archived'),
  },
});

const setStockRoute = createRoute({
  method: 'put',
  path: '/products/{id}/stock',
  operationId: 'setStock',
  tags,
  summary: 'Set the units on hand (admin)',
  security: bearerSecurity,
  request: { params: idParams, body: jsonBody(setStockSchema) },
  responses: {
    200: jsonDoc(stockLevelSchema, 'New stock level'),
    400: problemDoc('Invalid stock'),
    ...authErrors,
    404: problemDoc('No such product, or archived'),
    409: problemDoc('On hand would fall below what is reserved'),
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
