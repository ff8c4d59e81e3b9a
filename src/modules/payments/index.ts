// The payments module's public surface. Other code imports the module only through this file.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { apiCallParser } from '../../platform/api-call.ts';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import type { PaymentsConfig } from './config.ts';
import {
  type CapturePaymentInput,
  capturePaymentSchema,
  orderIdSchema,
  type Payment,
  type PaymentStats,
  type RefundPaymentInput,
  refundPaymentSchema,
} from './contracts.ts';
import { paymentCaptured, paymentChanged, paymentFailed, paymentRefunded } from './events.ts';
import { findPaymentByOrder } from './payment-records.ts';
import type { PaymentProvider } from './ports.ts';
import { replicateFromService } from './replication.ts';
import { paymentsRoutes } from './routes.ts';
import { createSandboxProvider } from './sandbox-provider.ts';
import { payments } from './schema.ts';
import { capturePayment, getPaymentStats, type PaymentsDeps, refundPayment } from './service.ts';

export { type PaymentsConfig, paymentsConfig } from './config.ts';
export {
  type CapturePaymentBody,
  type CapturePaymentInput,
  capturePaymentBodySchema,
  type ListPaymentsQuery,
  listPaymentsQuerySchema,
  type Money,
  type Payment,
  type PaymentPage,
  type PaymentStats,
  type PaymentStatus,
  paymentPageSchema,
  paymentSchema,
  paymentStatuses,
  type RefundPaymentBody,
  type RefundPaymentInput,
  refundPaymentBodySchema,
} from './contracts.ts';
export * from './events.ts';
export { type ChargeResult, NotCharged, type PaymentProvider } from './ports.ts';
export {
  countSettledPayments,
  OrderConflict,
  type PaymentRecordSnapshot,
  readPaymentSnapshots,
} from './replication.ts';

/** What other modules (orders, the dashboard) may ask of payments, through their own ports. */
export interface PaymentsApi {
  /**
   * Charges the order once: a second call returns the first payment and charges nothing
   * (ProblemError 409 if it names another user or amount); one racing a capture under way
   * waits for it. A decline is a returned payment with status failed (and payment.failed). A
   * provider that refused before charging throws ProblemError 503 and leaves nothing behind; one
   * whose answer never came (a timeout, PAYMENT_PROVIDER_TIMEOUT_MS included) throws 503 too,
   * and the payment stays pending: the next capture or refund of the order asks the provider
   * again under the same reference. Never answers a pending payment.
   */
  capture(input: CapturePaymentInput, context?: EventContext): Promise<Payment>;
  /**
   * Gives the order's captured payment back in full; idempotent (an already refunded payment
   * is returned as it is). A capture still pending is finished first, so money taken by an
   * interrupted capture, or by one whose answer never came, is given back too. Undefined when
   * the order has no captured payment (none, failed, or refused before anything was charged).
   */
  refund(input: RefundPaymentInput, context?: EventContext): Promise<Payment | undefined>;
  getPaymentByOrder(orderId: string): Promise<Payment | undefined>;
  /** Counts by status and the money currently captured, one sum per currency. */
  stats(): Promise<PaymentStats>;
}

export interface PaymentsPorts {
  /** Defaults to the built-in sandbox (see sandbox-provider.ts for its rules). */
  provider?: PaymentProvider;
}

export interface PaymentsOptions {
  /**
   * How long a capture's claim on its attempt holds without its heartbeat: after a crash
   * mid-capture, the next capture of the order takes over this much later.
   */
  captureAttemptMs?: number;
  /** How long a capture waits for another one of the same order before answering 503. */
  captureWaitMs?: number;
  /** How long the provider may take to answer a call (config.PAYMENT_PROVIDER_TIMEOUT_MS). */
  providerTimeoutMs?: number;
  /**
   * The component this module runs in (`monolith`): payment.changed it published itself is not
   * fanned out to its replication subscriber, which skips one that comes anyway by this origin.
   */
  component?: string;
}

const parse = apiCallParser('payments');

export function createPaymentsModule(
  context: ModuleContext<PaymentsConfig>,
  ports: PaymentsPorts = {},
  options: PaymentsOptions = {},
): Module<PaymentsApi> {
  const attemptMs = options.captureAttemptMs ?? 10_000;
  const deps: PaymentsDeps = {
    db: context.db,
    events: context.events,
    logger: context.logger,
    provider:
      ports.provider ??
      createSandboxProvider({ latencyMs: context.config.PAYMENT_SANDBOX_LATENCY_MS }),
    attempts: {
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      inFlight: new Set(),
      leaseMs: attemptMs,
      // Long enough that a crashed attempt lapses while a capture waits for it.
      waitMs: options.captureWaitMs ?? attemptMs + 5_000,
      providerTimeoutMs: options.providerTimeoutMs ?? context.config.PAYMENT_PROVIDER_TIMEOUT_MS,
    },
  };
  return defineModule<PaymentsApi>({
    name: 'payments',
    schema: payments,
    routes: paymentsRoutes(deps),
    publishes: [paymentCaptured, paymentFailed, paymentRefunded, paymentChanged],
    subscriptions: [replicateFromService(options.component ?? 'monolith')],
    api: {
      capture: async (input, eventContext) =>
        capturePayment(deps, parse(capturePaymentSchema, input), eventContext),
      refund: async (input, eventContext) => {
        const { orderId, reason } = parse(refundPaymentSchema, input);
        const payment = await refundPayment(deps, { orderId }, reason, eventContext);
        return payment?.status === 'refunded' ? payment : undefined;
      },
      // An id that is not a uuid names no order; it is not sent to Postgres.
      getPaymentByOrder: async (orderId) =>
        orderIdSchema.safeParse(orderId).success
          ? findPaymentByOrder(context.db, orderId)
          : undefined,
      stats: () => getPaymentStats(context.db),
    },
  });
}
