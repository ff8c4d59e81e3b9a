import { createRoute, z } from '@hono/zod-openapi';
import type { Role } from '../../platform/auth/access-token.ts';
import { requireRole, requireUser } from '../../platform/auth/authenticate.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';
import { conflict, notFound, ProblemError } from '../../platform/http/problem.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
  retryLaterDoc,
} from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import {
  capturePaymentBodySchema,
  listPaymentsQuerySchema,
  paymentIdSchema,
  paymentPageSchema,
  paymentSchema,
  refundPaymentBodySchema,
} from './contracts.ts';
import {
  capturePayment,
  getPaymentFor,
  listPayments,
  type PaymentsDeps,
  refundPayment,
} from './service.ts';

const tags = ['payments'];
const idParams = z.object({ id: paymentIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const providerDown = retryLaterDoc('The payment provider is unavailable; nothing was recorded');

/**
 * Who may record a capture through the API. A customer never does: the checkout saga captures
 * through its payment port, so an open route would only let anyone book money for any order.
 */
const capturers = ['admin'] as const satisfies readonly Role[];

const captureRoute = createRoute({
  method: 'post',
  path: '/payments',
  operationId: 'capturePayment',
  tags,
  summary: "Capture an order's payment (admin; idempotent per order)",
  description:
    'Charges the card once per order: a repeated capture returns the first payment. A decline ' +
    'is a payment with status failed, not an error. Checkout captures through the saga; this ' +
    'route is for operators.',
  security: bearerSecurity,
  middleware: [requireRole(...capturers)] as const,
  request: { body: jsonBody(capturePaymentBodySchema) },
  responses: {
    201: jsonDoc(paymentSchema, 'The payment, captured or failed'),
    400: problemDoc('Invalid payment'),
    ...authErrors,
    409: problemDoc('The order already has a different payment'),
    503: providerDown,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/payments/{id}',
  operationId: 'getPayment',
  tags,
  summary: 'One payment (its owner or an admin)',
  security: bearerSecurity,
  middleware: [requireUser()] as const,
  request: { params: idParams },
  responses: {
    200: jsonDoc(paymentSchema, 'The payment'),
    400: problemDoc('Invalid id'),
    401: authErrors[401],
    404: problemDoc('No such payment, or not yours'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/payments',
  operationId: 'listPayments',
  tags,
  summary: "Your payments, newest first (admins see everyone's, or one user's with userId)",
  security: bearerSecurity,
  middleware: [requireUser()] as const,
  request: { query: listPaymentsQuerySchema },
  responses: {
    200: jsonDoc(paymentPageSchema, 'A page of payments'),
    400: problemDoc('Invalid query'),
    ...authErrors,
  },
});

const refundRoute = createRoute({
  method: 'post',
  path: '/payments/{id}/refund',
  operationId: 'refundPayment',
  tags,
  summary: 'Refund a captured payment in full (admin; idempotent)',
  security: bearerSecurity,
  middleware: [requireRole('admin')] as const,
  request: { params: idParams, body: jsonBody(refundPaymentBodySchema) },
  responses: {
    200: jsonDoc(paymentSchema, 'The refunded payment'),
    400: problemDoc('Invalid refund'),
    ...authErrors,
    404: problemDoc('No such payment'),
    409: problemDoc('The payment failed, so nothing can be refunded'),
    503: providerDown,
  },
});

/** A principal is always there after requireUser/requireRole; this keeps the types honest. */
function callerOf(user: { id: string; roles: readonly string[] } | undefined) {
  if (!user) throw new Error('route reached without requireUser');
  return user;
}

export function paymentsRoutes(deps: PaymentsDeps) {
  const router = createRouter();

  router.openapi(captureRoute, async (c) => {
    const caller = callerOf(c.var.user);
    const payment = await capturePayment(
      deps,
      { ...c.req.valid('json'), userId: caller.id },
      eventContextOf(c),
    );
    return c.json(payment, 201);
  });

  router.openapi(getRoute, async (c) =>
    c.json(await getPaymentFor(deps.db, c.req.valid('param').id, callerOf(c.var.user)), 200),
  );

  router.openapi(listRoute, async (c) => {
    const caller = callerOf(c.var.user);
    const { orderId, userId, ...page } = c.req.valid('query');
    const isAdmin = caller.roles.includes('admin');
    if (userId && userId !== caller.id && !isAdmin) {
      throw new ProblemError(403, "Only admins may list other users' payments.");
    }
    const owner = isAdmin ? userId : caller.id;
    return c.json(await listPayments(deps.db, { userId: owner, orderId }, page), 200);
  });

  router.openapi(refundRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const payment = await refundPayment(deps, { id }, reason, eventContextOf(c));
    if (!payment) throw notFound(`Payment ${id} does not exist.`);
    if (payment.status === 'failed') {
      throw conflict(`Payment ${id} failed, so there is nothing to refund.`);
    }
    return c.json(payment, 200);
  });

  return router;
}
