import type { EventContext } from '../../platform/bus/event-contract.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import type { Address, Money, SagaStepName } from './contracts.ts';
import type { OrdersPorts, StockLine } from './ports.ts';

// The checkout saga's steps, each written beside its compensation (as Medusa writes them).
// Every action and compensation is idempotent per order id: a recovered saga simply runs the
// step again, and a compensation of something that never happened is a no-op.

/** What the steps need to know about the order. */
export interface SagaOrder {
  id: string;
  userId: string;
  items: StockLine[];
  total: Money;
  address: Address;
  cardToken: string | null;
}

/** What a step leaves behind: a line for the step log, and ids the order keeps. */
export interface StepOutcome {
  detail: string;
  paymentId?: string;
  shipmentId?: string;
}

/** A definite "no" from a step: nothing was done, the order is cancelled with `message`. */
export class StepRefused extends Error {}

export interface StepFailure {
  /** The cancel reason a customer reads. */
  reason: string;
  /** For the step log: what exactly went wrong. */
  detail: string;
  /** True when the step may have taken effect despite the error (a timeout, an outage). */
  uncertain: boolean;
}

export interface CheckoutStep {
  name: SagaStepName;
  run(order: SagaOrder, ports: OrdersPorts, context: EventContext): Promise<StepOutcome>;
  /** Undoes `run`; absent when there is nothing to undo. */
  compensate?(
    order: SagaOrder,
    reason: string,
    ports: OrdersPorts,
    context: EventContext,
  ): Promise<void>;
  /** Reason prefix for a 4xx refusal, and the reason when the outcome is unknown. */
  refusedAs: string;
  unavailableAs: string;
  /**
   * What an error with an unknown outcome leads to: compensation (the step's own too), or
   * retrying forward later (the pivot: once the order is confirmed, it is not undone here).
   */
  onUncertain: 'compensate' | 'retry';
}

const units = (items: StockLine[]) => items.reduce((sum, item) => sum + item.quantity, 0);

export const reserveStockStep: CheckoutStep = {
  name: 'reserve_stock',
  async run(order, { inventory }, context) {
    await inventory.reserve(order.id, order.items, context);
    return { detail: `${units(order.items)} unit(s) reserved` };
  },
  async compensate(order, reason, { inventory }, context) {
    await inventory.release(order.id, reason, context);
  },
  refusedAs: 'stock unavailable',
  unavailableAs: 'stock could not be reserved: inventory unavailable',
  onUncertain: 'compensate',
};

export const capturePaymentStep: CheckoutStep = {
  name: 'capture_payment',
  async run(order, { payments }, context) {
    const result = await payments.capture(
      {
        orderId: order.id,
        userId: order.userId,
        amount: order.total,
        cardToken: order.cardToken ?? undefined,
      },
      context,
    );
    if (result.status === 'declined') {
      throw new StepRefused(`payment declined: ${result.reason}`);
    }
    return { detail: `payment ${result.paymentId} captured`, paymentId: result.paymentId };
  },
  async compensate(order, reason, { payments }, context) {
    await payments.refund({ orderId: order.id, reason }, context);
  },
  refusedAs: 'payment refused',
  unavailableAs: 'payment could not be taken: payment provider unavailable',
  onUncertain: 'compensate',
};

export const scheduleShipmentStep: CheckoutStep = {
  name: 'schedule_shipment',
  async run(order, { shipping }, context) {
    const { shipmentId } = await shipping.schedule(
      { orderId: order.id, userId: order.userId, address: order.address, items: order.items },
      context,
    );
    return { detail: `shipment ${shipmentId} scheduled`, shipmentId };
  },
  async compensate(order, reason, { shipping }, context) {
    await shipping.cancel(order.id, reason, context);
  },
  refusedAs: 'shipping refused',
  unavailableAs: 'shipment could not be scheduled: shipping unavailable',
  onUncertain: 'compensate',
};

/**
 * The pivot: the order stands. Its stock stays reserved until the parcel ships (the catalog
 * commits it on shipment.shipped), so cancelling a confirmed order can still release it.
 * The order's own status change follows in the runner.
 */
export const confirmStep: CheckoutStep = {
  name: 'confirm',
  async run() {
    return { detail: 'order confirmed; stock stays reserved until it ships' };
  },
  refusedAs: 'order could not be confirmed',
  unavailableAs: 'order could not be confirmed',
  onUncertain: 'retry',
};

/** In the order they run; compensations run in reverse. */
export const checkoutSteps: readonly CheckoutStep[] = [
  reserveStockStep,
  capturePaymentStep,
  scheduleShipmentStep,
  confirmStep,
];

/** Reasons travel to payments and shipping, which accept up to 500 characters. */
const MAX_REASON = 300;
const clip = (text: string) =>
  text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;

/** A refusal (StepRefused, or a 4xx problem) is definite; anything else may have taken effect. */
export function describeFailure(step: CheckoutStep, error: unknown): StepFailure {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof StepRefused) return { reason: clip(detail), detail, uncertain: false };
  if (error instanceof ProblemError && error.status < 500) {
    return { reason: clip(`${step.refusedAs}: ${detail}`), detail, uncertain: false };
  }
  return { reason: step.unavailableAs, detail, uncertain: true };
}
