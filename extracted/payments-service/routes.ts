import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  createPaymentRequestSchema,
  DRY_RUN_HEADER,
  dryRunHeaderSchema,
  idempotencyKeyHeaderSchema,
  listPaymentsQuerySchema,
  paymentIdSchema,
  paymentPageSchema,
  paymentSchema,
  refundRequestSchema,
  refundSchema,
} from '../../src/contracts/payments/v1/index.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { eventContextOf } from '../../src/platform/http/event-context.ts';
import { idempotency } from '../../src/platform/http/idempotency/middleware.ts';
import type { IdempotencyStore } from '../../src/platform/http/idempotency/store.ts';
import {
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
  retryLaterDoc,
} from '../../src/platform/http/route-docs.ts';
import { createRouter } from '../../src/platform/http/router.ts';
import {
  actorOf,
  idempotencyScope,
  mayRead,
  readableCustomer,
  requireMoneyAuthority,
} from './authorization.ts';
import { capturePayment } from './capture.ts';
import type { PaymentsServiceDeps } from './deps.ts';
import { isDryRun, markDryRunAnswers, unlessDryRun } from './dry-run.ts';
import { forbidden, paymentNotFound, VALIDATION_FAILED } from './errors.ts';
import { listPayments } from './list-payments.ts';
import { findPaymentRow, toPaymentV1, toRefund } from './payment-records.ts';
import { previewCapture, previewRefund } from './preview.ts';
import { refundPayment } from './refund.ts';

const tags = ['payments'];
const idParams = z.object({ id: paymentIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const writeHeaders = z.object({
  'idempotency-key': idempotencyKeyHeaderSchema.optional(),
  'x-dry-run': dryRunHeaderSchema.optional(),
});
const coded = (description: string, ...codes: string[]) =>
  problemDoc(`${description} (type .../errors/${codes.join(', .../errors/')})`);
const replayHeaders = z.object({
  'Idempotent-Replayed': z.string().optional().openapi({ description: '`true` on a replay' }),
  [DRY_RUN_HEADER]: z
    .string()
    .optional()
    .openapi({ description: '`true` on the answer to a dry run (on its refusals too)' }),
});
const dryRunNote =
  " With `X-Dry-Run: true` it is validated, authorized and answered as it would be, but nothing is stored, published or charged (the outcome is the sandbox provider's decision), no Idempotency-Key is read or used up, and what it would create has a fresh id that names nothing.";
const keyErrors = {
  409: coded('Still running under this Idempotency-Key', 'idempotency-key-in-use'),
  422: coded('This Idempotency-Key was used with another request', 'idempotency-key-reused'),
};
const moneyAuthority = '(an admin, or a component on its own authority)';

const captureRoute = (idempotent: MiddlewareHandler<AppEnv>) =>
  createRoute({
    method: 'post',
    path: '/v1/payments',
    operationId: 'createPayment',
    tags,
    summary: `Capture an order's payment, once per order_ref ${moneyAuthority}`,
    description:
      'Charges the source once per order_ref: a repeat with the same customer and amount answers the recorded payment and charges nothing. A decline is a payment with status `declined`, not an error. A provider that gave no answer leaves the payment `authorized` (503 payment-outcome-unknown); the same capture again settles it.' +
      dryRunNote,
    security: bearerSecurity,
    middleware: [markDryRunAnswers(), requireMoneyAuthority(), unlessDryRun(idempotent)] as const,
    request: { headers: writeHeaders, body: jsonBody(createPaymentRequestSchema) },
    responses: {
      201: {
        ...jsonDoc(paymentSchema, 'The payment: captured, declined (or refunded, for a repeat)'),
        headers: replayHeaders.extend({ Location: z.string() }),
      },
      400: coded('Invalid request', 'validation-failed'),
      403: coded('Not allowed to capture', 'forbidden'),
      ...keyErrors,
      409: coded(
        'A payment for this order_ref with another amount or customer, or the key is in use',
        'order-already-paid',
        'idempotency-key-in-use',
      ),
      503: retryLaterDoc(
        'The provider is unavailable (provider-unavailable: nothing recorded), gave no answer (payment-outcome-unknown: the payment stays authorized), or another capture of the order is under way (capture-in-progress)',
      ),
    },
  });

const getRoute = createRoute({
  method: 'get',
  path: '/v1/payments/{id}',
  operationId: 'getPaymentV1',
  tags,
  summary: 'One payment (a forwarded user sees only their own, unless admin)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    200: jsonDoc(paymentSchema, 'The payment'),
    400: coded('Invalid id', 'validation-failed'),
    404: coded('No such payment, or not the forwarded user’s', 'payment-not-found'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/payments',
  operationId: 'listPaymentsV1',
  tags,
  summary: 'Payments, newest first, by cursor (a forwarded user sees only their own, unless admin)',
  security: bearerSecurity,
  request: { query: listPaymentsQuerySchema },
  responses: {
    200: jsonDoc(paymentPageSchema, 'A page of payments'),
    400: coded('Invalid query or cursor', 'validation-failed'),
    403: coded("A forwarded user asked for another customer's payments", 'forbidden'),
  },
});

const refundRoute = (idempotent: MiddlewareHandler<AppEnv>) =>
  createRoute({
    method: 'post',
    path: '/v1/payments/{id}/refunds',
    operationId: 'createRefund',
    tags,
    summary: `Refund a captured payment in full ${moneyAuthority}`,
    description:
      'Gives the whole amount back once; the payment becomes `refunded`. A payment refunded already answers its refund again (200). A payment still `authorized` is settled with the provider first.' +
      dryRunNote,
    security: bearerSecurity,
    middleware: [markDryRunAnswers(), requireMoneyAuthority(), unlessDryRun(idempotent)] as const,
    request: { params: idParams, headers: writeHeaders, body: jsonBody(refundRequestSchema) },
    responses: {
      201: { ...jsonDoc(refundSchema, 'The refund, just made'), headers: replayHeaders },
      200: { ...jsonDoc(refundSchema, 'The refund made before'), headers: replayHeaders },
      400: coded('Invalid request', 'validation-failed'),
      403: coded('Not allowed to refund', 'forbidden'),
      404: coded('No such payment', 'payment-not-found'),
      ...keyErrors,
      409: coded(
        'The payment was declined, so nothing can be refunded, or the key is in use',
        'refund-not-possible',
        'idempotency-key-in-use',
      ),
      503: retryLaterDoc(
        'The provider is unavailable (provider-unavailable) or a capture of the payment is unsettled (payment-outcome-unknown)',
      ),
    },
  });

export function paymentsServiceRoutes(deps: PaymentsServiceDeps, keys: IdempotencyStore) {
  const router = createRouter({ validationType: VALIDATION_FAILED });
  // After the route's authorization, before its validation: a refused caller stores nothing,
  // and a repeat of an invalid request gets the same 400.
  const idempotent = idempotency({
    store: keys,
    scopeOf: idempotencyScope,
    validationType: VALIDATION_FAILED,
  });

  router.openapi(captureRoute(idempotent), async (c) => {
    const request = c.req.valid('json');
    const row = isDryRun(c)
      ? await previewCapture(deps, request)
      : await capturePayment(deps, request, eventContextOf(c));
    c.header('Location', `/v1/payments/${row.id}`);
    return c.json(toPaymentV1(row), 201);
  });

  router.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await findPaymentRow(deps.db, id);
    const payment = row && toPaymentV1(row);
    // Someone else's payment looks exactly like a missing one.
    if (!payment || !mayRead(actorOf(c), payment)) throw paymentNotFound(id);
    return c.json(payment, 200);
  });

  router.openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const own = readableCustomer(actorOf(c));
    if (own && query.customer_ref && query.customer_ref !== own) {
      throw forbidden("Only admins may list other customers' payments.");
    }
    const page = await listPayments(
      deps.db,
      { orderRef: query.order_ref, customerRef: own ?? query.customer_ref },
      { limit: query.limit, cursor: query.cursor, includeTotal: query.include_total === 'true' },
    );
    return c.json(page, 200);
  });

  router.openapi(refundRoute(idempotent), async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const outcome = isDryRun(c)
      ? await previewRefund(deps, id, reason)
      : await refundPayment(deps, id, reason, eventContextOf(c));
    const refund = toRefund(outcome.refund, outcome.payment);
    return outcome.created ? c.json(refund, 201) : c.json(refund, 200);
  });

  return router;
}
