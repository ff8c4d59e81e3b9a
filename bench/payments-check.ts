import postgres from 'postgres';

// After the extracted run: each confirmed order was captured exactly once, in payments-service's
// database, and the legacy payments module captured none of them itself: what it holds are
// replicas of the service's payments (the same ids), kept in step by payment.changed. Read
// straight from both databases once every component has stopped, so nothing is still in flight.

export interface PaymentsCheck {
  confirmedOrders: number;
  /** Confirmed orders with exactly one captured payment in payments-service. */
  capturedOnce: number;
  /**
   * Payments the legacy module holds that are not payments-service's (another id): a capture
   * on the legacy side, none expected. Its replicas of the service's payments do not count.
   */
  legacyPayments: number;
  /** Captured in payments-service for an order that is not confirmed (stopped mid-saga). */
  capturedNotConfirmed: number;
  ok: boolean;
}

export async function checkExtractedPayments(
  monolithUrl: string,
  serviceUrl: string,
): Promise<PaymentsCheck> {
  const monolith = postgres(monolithUrl, { max: 1, onnotice: () => {} });
  const service = postgres(serviceUrl, { max: 1, onnotice: () => {} });
  try {
    const confirmed = (
      await monolith<{ id: string }[]>`select id from orders.orders where status = 'confirmed'`
    ).map((row) => row.id);
    const legacyIds = (await monolith<{ id: string }[]>`select id from payments.payments`).map(
      (row) => row.id,
    );
    const serviceIds = new Set(
      (await service<{ id: string }[]>`select id from payments.payments`).map((row) => row.id),
    );
    const captured = await service<{ orderRef: string; n: number }[]>`
      select order_ref as "orderRef", count(*)::int as n
      from payments.payments where status = 'captured' group by order_ref`;
    const capturedByOrder = new Map(captured.map((row) => [row.orderRef, row.n]));
    const capturedOnce = confirmed.filter((id) => capturedByOrder.get(id) === 1).length;
    const confirmedSet = new Set(confirmed);
    const capturedNotConfirmed = captured.filter((row) => !confirmedSet.has(row.orderRef)).length;
    const legacyPayments = legacyIds.filter((id) => !serviceIds.has(id)).length;
    return {
      confirmedOrders: confirmed.length,
      capturedOnce,
      legacyPayments,
      capturedNotConfirmed,
      ok: confirmed.length > 0 && capturedOnce === confirmed.length && legacyPayments === 0,
    };
  } finally {
    await Promise.all([monolith.end(), service.end()]);
  }
}
