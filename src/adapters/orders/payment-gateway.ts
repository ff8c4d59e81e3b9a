import type { PaymentGateway } from '../../modules/orders/index.ts';
import type { PaymentsApi } from '../../modules/payments/index.ts';
import type { Seam } from '../../platform/seams/seam.ts';

// Orders' PaymentGateway port and its adapters, side by side: the legacy payments module in
// this process, payments-service over HTTP, and the seam that chooses between them at runtime.

/** The adapters the payment-gateway seam chooses between. */
export const paymentGatewayAdapters = ['in-process', 'http'] as const;
export type PaymentGatewayAdapter = (typeof paymentGatewayAdapters)[number];

/** Orders' PaymentGateway port, answered by the legacy payments module in this process. */
export function inProcessPaymentGateway(
  payments: Pick<PaymentsApi, 'capture' | 'refund'>,
): PaymentGateway {
  return {
    async capture(request, context) {
      const payment = await payments.capture(request, context);
      if (payment.status === 'captured') return { status: 'captured', paymentId: payment.id };
      // Capture settles before it answers; a pending payment here is an unknown outcome.
      if (payment.status === 'pending') throw new Error(`payment ${payment.id} is still pending`);
      // Capture is idempotent per order: a payment already refunded is not money held.
      const reason =
        payment.status === 'refunded'
          ? 'the payment for this order was refunded'
          : (payment.failureReason ?? 'declined by the payment provider');
      return { status: 'declined', paymentId: payment.id, reason };
    },
    async refund(request, context) {
      await payments.refund(request, context);
    },
  };
}

/**
 * The seam: each order's payment goes through the adapter the seam names when the order first
 * reaches it, and stays there (its capture, the retries of a recovered saga, its refund), so a
 * switch mid-checkout never captures an order on one side and looks for it on the other.
 */
export function switchablePaymentGateway(
  seam: Seam<PaymentGatewayAdapter>,
  adapters: Record<PaymentGatewayAdapter, PaymentGateway>,
): PaymentGateway {
  return {
    async capture(request, context) {
      return adapters[await seam.pin(request.orderId)].capture(request, context);
    },
    async refund(request, context) {
      return adapters[await seam.pin(request.orderId)].refund(request, context);
    },
  };
}
