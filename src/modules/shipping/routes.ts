import { createRoute, z } from '@hono/zod-openapi';
import { requireRole, requireUser } from '../../platform/auth/authenticate.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';
import { notFound } from '../../platform/http/problem.ts';
import { authErrors, bearerSecurity, jsonDoc, problemDoc } from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import { orderIdSchema, shipmentSchema } from './contracts.ts';
import { findShipment, markShipped, type ShippingDeps } from './service.ts';

const tags = ['shipping'];
const orderParams = z.object({
  orderId: orderIdSchema.openapi({ param: { name: 'orderId', in: 'path' } }),
});

const getShipmentRoute = createRoute({
  method: 'get',
  path: '/shipments/{orderId}',
  operationId: 'getShipment',
  tags,
  summary: "An order's shipment (its owner or an admin)",
  security: bearerSecurity,
  // Route middleware runs before validation: a caller without a token learns nothing else.
  middleware: [requireUser()] as const,
  request: { params: orderParams },
  responses: {
    200: jsonDoc(shipmentSchema, 'The shipment'),
    400: problemDoc('Invalid order id'),
    ...authErrors,
    404: problemDoc('No shipment for this order, or not yours'),
  },
});

const shipRoute = createRoute({
  method: 'post',
  path: '/shipments/{orderId}/ship',
  operationId: 'shipOrder',
  tags,
  summary: 'Mark an order’s shipment as shipped (admin); repeating it changes nothing',
  security: bearerSecurity,
  middleware: [requireRole('admin')] as const,
  request: { params: orderParams },
  responses: {
    200: jsonDoc(shipmentSchema, 'The shipped shipment'),
    400: problemDoc('Invalid order id'),
    ...authErrors,
    404: problemDoc('No shipment for this order'),
    409: problemDoc('The shipment was cancelled'),
  },
});

export function shippingRoutes(deps: ShippingDeps) {
  const router = createRouter();

  router.openapi(getShipmentRoute, async (c) => {
    const { orderId } = c.req.valid('param');
    const user = c.var.user;
    const shipment = await findShipment(deps.db, orderId);
    // Someone else's shipment is answered like a missing one: its existence is not revealed.
    const visible =
      shipment && user && (shipment.userId === user.id || user.roles.includes('admin'));
    if (!visible) throw notFound(`Order ${orderId} has no shipment.`);
    return c.json(shipment, 200);
  });

  router.openapi(shipRoute, async (c) => {
    const { orderId } = c.req.valid('param');
    const context = eventContextOf(c);
    const shipment = await deps.db.transaction((tx) =>
      markShipped(tx, deps.events, orderId, context),
    );
    return c.json(shipment, 200);
  });

  return router;
}
