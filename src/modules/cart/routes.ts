import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireUser } from '../../platform/auth/authenticate.ts';
import type { AppEnv } from '../../platform/http/app-env.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
} from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import { checkout } from './checkout.ts';
import {
  addItemSchema,
  cartSchema,
  changeItemSchema,
  checkoutResultSchema,
  checkoutSchema,
  idempotencyKeySchema,
  productIdSchema,
} from './contracts.ts';
import { addItem, type CartDeps, changeItem, getCart, removeItem } from './service.ts';

const tags = ['cart'];
// Route middleware runs before validation: a caller without a token learns nothing else.
const signedIn = { middleware: [requireUser()], security: bearerSecurity };
const productParams = z.object({
  productId: productIdSchema.openapi({ param: { name: 'productId', in: 'path' } }),
});

const getCartRoute = createRoute({
  method: 'get',
  path: '/cart',
  operationId: 'getCart',
  tags,
  summary: "The caller's cart, with line totals and the total",
  ...signedIn,
  responses: { 200: jsonDoc(cartSchema, 'The cart'), ...authErrors },
});

const addItemRoute = createRoute({
  method: 'post',
  path: '/cart/items',
  operationId: 'addCartItem',
  tags,
  summary: 'Add units of a product (to its line when already there); takes a price snapshot',
  ...signedIn,
  request: { body: jsonBody(addItemSchema) },
  responses: {
    200: jsonDoc(cartSchema, 'The cart after the change'),
    400: problemDoc('Invalid item'),
    ...authErrors,
    404: problemDoc('No such product'),
    409: problemDoc('Product not for sale, another currency, or a line or cart limit reached'),
  },
});

const changeItemRoute = createRoute({
  method: 'patch',
  path: '/cart/items/{productId}',
  operationId: 'changeCartItem',
  tags,
  summary: "Set a line's quantity (0 removes it); takes a fresh price snapshot",
  ...signedIn,
  request: { params: productParams, body: jsonBody(changeItemSchema) },
  responses: {
    200: jsonDoc(cartSchema, 'The cart after the change'),
    400: problemDoc('Invalid quantity or id'),
    ...authErrors,
    404: problemDoc('Product not in the cart, or no such product'),
    409: problemDoc('Product not for sale, another currency, or the total too large'),
  },
});

const removeItemRoute = createRoute({
  method: 'delete',
  path: '/cart/items/{productId}',
  operationId: 'removeCartItem',
  tags,
  summary: 'Remove a line',
  ...signedIn,
  request: { params: productParams },
  responses: {
    204: { description: 'Removed' },
    400: problemDoc('Invalid id'),
    ...authErrors,
    404: problemDoc('Product not in the cart'),
  },
});

const checkoutRoute = createRoute({
  method: 'post',
  path: '/cart/checkout',
  operationId: 'checkOutCart',
  tags,
  summary: 'Place an order from the cart; the cart is emptied only when the order is confirmed',
  description:
    'Idempotent per Idempotency-Key: the same key answers the first order again (200, replayed) ' +
    'and never places or empties twice. A cancelled order (stock short, payment declined) is ' +
    'answered with its cancelReason and leaves the cart as it was.',
  ...signedIn,
  request: {
    headers: z.object({ 'idempotency-key': idempotencyKeySchema }),
    body: jsonBody(checkoutSchema),
  },
  responses: {
    200: jsonDoc(checkoutResultSchema, 'Replayed: the order this key placed'),
    201: jsonDoc(checkoutResultSchema, 'Order placed (confirmed, or cancelled with a reason)'),
    400: problemDoc('Invalid address, card token or Idempotency-Key'),
    ...authErrors,
    409: problemDoc('The cart is empty'),
    422: problemDoc('This Idempotency-Key was used for another checkout'),
  },
});

/** requireUser ran first, so the user is there. */
const userOf = (c: Context<AppEnv>): string => {
  const user = c.var.user;
  if (!user) throw new Error('cart route reached without a signed-in user');
  return user.id;
};

export function cartRoutes(deps: CartDeps) {
  const router = createRouter();

  router.openapi(getCartRoute, async (c) => c.json(await getCart(deps.db, userOf(c)), 200));

  router.openapi(addItemRoute, async (c) =>
    c.json(await addItem(deps, userOf(c), c.req.valid('json')), 200),
  );

  router.openapi(changeItemRoute, async (c) => {
    const { productId } = c.req.valid('param');
    const { quantity } = c.req.valid('json');
    return c.json(await changeItem(deps, userOf(c), productId, quantity), 200);
  });

  router.openapi(removeItemRoute, async (c) => {
    await removeItem(deps, userOf(c), c.req.valid('param').productId);
    return c.body(null, 204);
  });

  router.openapi(checkoutRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'];
    const result = await checkout(deps, userOf(c), c.req.valid('json'), key, eventContextOf(c));
    return c.json(result, result.replayed ? 200 : 201);
  });

  return router;
}
