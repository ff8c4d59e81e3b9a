import type { PaymentGateway } from '../../modules/orders/index.ts';
import type { PaymentsApi } from '../../modules/payments/index.ts';

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
