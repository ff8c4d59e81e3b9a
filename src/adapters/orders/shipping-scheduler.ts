import type { ShippingScheduler } from '../../modules/orders/index.ts';
import type { ShippingApi } from '../../modules/shipping/index.ts';

/** Orders' ShippingScheduler port, answered by the shipping module in this process. */
export function inProcessShippingScheduler(
  shipping: Pick<ShippingApi, 'schedule' | 'cancel'>,
): ShippingScheduler {
  return {
    async schedule(request, context) {
      const shipment = await shipping.schedule(request, context);
      return { shipmentId: shipment.id };
    },
    async cancel(orderId, reason, context) {
      await shipping.cancel(orderId, reason, context);
    },
  };
}
