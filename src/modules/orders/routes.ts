import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireUser } from '../../platform/auth/authenticate.ts';
import type { AppEnv } from '../../platform/http/app-env.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
  retryLaterDoc,
} from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import { cancelOrder } from './cancel-order.ts';
import {
  idempotencyKeySchema,
  listOrdersQuerySchema,
  orderHistorySchema,
  orderIdSchema,
  orderPageSchema,
  orderSchema,
  placeOrderBodySchema,
} from './contracts.ts';
import type { OrdersDeps } from './deps.ts';
import { placeOrder } from './place-order.ts';
import { listOrderSummaries } from './read-model.ts';
import { getOrder, getOrderHistory, type Viewer } from './service.ts';

const tags = ['orders'];
const signedIn = { security: bearerSecurity, middleware: [requireUser()] };
const idParams = z.object({ id: orderIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });

const placeRoute = createRoute({
  method: 'post',
  path: '/orders',
  operationId: 'placeOrder',
  tags,
  summary: 'Place an order: reserve stock, capture payment, schedule shipment, confirm',
  description:
    'Answers 201 with the order once its checkout saga has finished: confirmed, or cancelled with the reason (stock short, payment declined, shipping refused). The same Idempotency-Key with the same body answers the first response again; with another body, 422.',
  ...signedIn,
  request: {
    headers: z.object({ 'idempotency-key': idempotencyKeySchema }),
    body: jsonBody(placeOrderBodySchema),
  },
  responses: {
    201: {
      ...jsonDoc(orderSchema, 'The order, confirmed or cancelled'),
      headers: z.object({ Location: z.string(), 'Idempotent-Replayed': z.string().optional() }),
    },
    400: problemDoc('Invalid body, missing Idempotency-Key, unknown product, mixed currencies'),
    ...authErrors,
    409: problemDoc('A product is not for sale, or this key is still being placed'),
    422: problemDoc('This Idempotency-Key was used with a different body'),
    503: retryLaterDoc('The checkout could not finish now; it completes on its own'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/orders',
  operationId: 'listOrders',
  tags,
  summary: 'Your orders, newest first (from the read model; admins may pass userId)',
  ...signedIn,
  request: { query: listOrdersQuerySchema },
  responses: {
    200: jsonDoc(orderPageSchema, 'A page of orders'),
    400: problemDoc('Invalid query'),
    ...authErrors,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/orders/{id}',
  operationId: 'getOrder',
  tags,
  summary: 'One order (owner or admin)',
  ...signedIn,
  request: { params: idParams },
  responses: {
    200: jsonDoc(orderSchema, 'The order'),
    400: problemDoc('Invalid id'),
    ...authErrors,
    404: problemDoc('No such order, or not yours'),
  },
});

const historyRoute = createRoute({
  method: 'get',
  path: '/orders/{id}/history',
  operationId: 'getOrderHistory',
  tags,
  summary: "Every change of an order's status, with time and cause (owner or admin)",
  ...signedIn,
  request: { params: idParams },
  responses: {
    200: jsonDoc(orderHistorySchema, 'The history, oldest first'),
    400: problemDoc('Invalid id'),
    ...authErrors,
    404: problemDoc('No such order, or not yours'),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/orders/{id}/cancel',
  operationId: 'cancelOrder',
  tags,
  summary: 'Cancel an order that has not shipped: cancels the shipment, refunds, releases stock',
  ...signedIn,
  request: { params: idParams },
  responses: {
    200: jsonDoc(orderSchema, 'The cancelled order (also when it was cancelled already)'),
    400: problemDoc('Invalid id'),
    ...authErrors,
    404: problemDoc('No such order, or not yours'),
    409: problemDoc('Shipped, or still being checked out'),
    503: retryLaterDoc('The cancellation could not finish now; it completes on its own'),
  },
});

function viewerOf(c: Context<AppEnv>): Viewer {
  const user = c.var.user;
  // requireUser ran before the handler; this only narrows the type.
  if (!user) throw new ProblemError(401, 'Sign in first: send a bearer access token.');
  return { userId: user.id, isAdmin: user.roles.includes('admin') };
}

export function ordersRoutes(deps: OrdersDeps) {
  const router = createRouter();

  router.openapi(placeRoute, async (c) => {
    const { userId } = viewerOf(c);
    const key = c.req.valid('header')['idempotency-key'];
    const { replayed, order } = await placeOrder(
      deps,
      { ...c.req.valid('json'), userId },
      key,
      eventContextOf(c),
    );
    c.header('Location', `${c.req.path}/${order.id}`);
    if (replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(order, 201);
  });

  router.openapi(listRoute, async (c) => {
    const viewer = viewerOf(c);
    const query = c.req.valid('query');
    const userId = query.userId ?? viewer.userId;
    if (userId !== viewer.userId && !viewer.isAdmin) {
      throw new ProblemError(403, "Only admins may list other users' orders.");
    }
    return c.json(await listOrderSummaries(deps.db, userId, query), 200);
  });

  router.openapi(getRoute, async (c) =>
    c.json(await getOrder(deps.db, c.req.valid('param').id, viewerOf(c)), 200),
  );

  router.openapi(historyRoute, async (c) =>
    c.json(await getOrderHistory(deps.db, c.req.valid('param').id, viewerOf(c)), 200),
  );

  router.openapi(cancelRoute, async (c) => {
    const order = await cancelOrder(deps, c.req.valid('param').id, viewerOf(c), eventContextOf(c));
    return c.json(order, 200);
  });

  return router;
}
