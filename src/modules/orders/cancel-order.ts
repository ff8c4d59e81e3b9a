import type { EventContext } from '../../platform/bus/event-contract.ts';
import { conflict, ProblemError } from '../../platform/http/problem.ts';
import type { Order } from './contracts.ts';
import type { OrdersDeps } from './deps.ts';
import { findOrder } from './order-records.ts';
import { LeaseLost, reopenForCancellation } from './saga-lease.ts';
import { driveSaga, SagaStalled } from './saga-runner.ts';
import { type Viewer, visibleTo } from './service.ts';

/**
 * Cancels a confirmed order on request: the saga is reopened and compensates (cancel the
 * shipment, refund, release stock) like a failed checkout, so a crash halfway is recovered the
 * same way. Cancelled already → answered as it is; shipped → 409; still being checked out → 409.
 */
export async function cancelOrder(
  deps: OrdersDeps,
  orderId: string,
  viewer: Viewer,
  context: EventContext,
): Promise<Order> {
  const order = visibleTo(await findOrder(deps.db, orderId), viewer, orderId);
  if (order.status === 'cancelled') return order;
  if (order.status === 'shipped')
    throw conflict(`Order ${orderId} has shipped; it cannot be cancelled.`);
  if (order.status === 'pending') {
    throw conflict(`Order ${orderId} is still being checked out; try again in a moment.`);
  }
  const byAdmin = viewer.isAdmin && viewer.userId !== order.userId;
  const reason = byAdmin ? 'cancelled by admin' : 'cancelled by customer';
  const lease = await reopenForCancellation(deps, orderId, reason, byAdmin ? 'admin' : 'customer');
  if (!lease) throw conflict(`Order ${orderId} is being changed right now; try again in a moment.`);
  try {
    await driveSaga(deps, lease, context);
  } catch (error) {
    // Another driver holds the saga now (ours lapsed); it may even have finished the work.
    if (error instanceof LeaseLost) {
      const now = visibleTo(await findOrder(deps.db, orderId), viewer, orderId);
      if (now.status === 'cancelled') return now;
      throw conflict(`Order ${orderId} is being changed right now; try again in a moment.`);
    }
    if (error instanceof SagaStalled) {
      throw new ProblemError(
        503,
        'The cancellation could not finish now; it will be completed automatically.',
        { headers: { 'Retry-After': '5' } },
      );
    }
    throw error;
  }
  return visibleTo(await findOrder(deps.db, orderId), viewer, orderId);
}
