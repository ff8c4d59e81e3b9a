import { inArray } from 'drizzle-orm';
import { expect } from 'vitest';
import { paymentRecords as servicePayments } from '../../extracted/payments-service/schema.ts';
import { verifyAcross } from '../../facade/index.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { paymentRecords as legacyPayments } from '../modules/payments/legacy-tables.ts';
import type { FacadeSystem } from '../support/facade-system.ts';
import { eventually } from '../support/services.ts';

// What both payments stores hold for a set of orders, read straight from their databases.

/** `order payment status` lines of each store, sorted, for the given orders. */
export async function paymentsByOrder(system: FacadeSystem, orderIds: string[]) {
  if (orderIds.length === 0) return { legacy: [], service: [] };
  const legacyDb = system.component('monolith').database.db;
  const serviceDb = system.component('payments-service').database.db;
  const legacy = await legacyDb
    .select({ order: legacyPayments.orderId, id: legacyPayments.id, status: legacyPayments.status })
    .from(legacyPayments)
    .where(inArray(legacyPayments.orderId, orderIds));
  const service = await serviceDb
    .select({
      order: servicePayments.orderRef,
      id: servicePayments.id,
      status: servicePayments.status,
    })
    .from(servicePayments)
    .where(inArray(servicePayments.orderRef, orderIds));
  const lines = (rows: Array<{ order: string; id: string; status: string }>) =>
    rows.map((row) => `${row.order} ${row.id} ${row.status}`).sort();
  return { legacy: lines(legacy), service: lines(service) };
}

/** extract:verify for payments over the running system's databases. */
export function verifyPayments(system: FacadeSystem) {
  return verifyAcross((name) => system.component(name).database.db as Database)('payments');
}

/**
 * Waits until both stores agree on the orders: each confirmed order has one captured payment,
 * its own, on both sides; no order has two payments in either store; a cancelled order holds no
 * captured money anywhere.
 */
export async function expectPaymentsConsistent(
  system: FacadeSystem,
  orders: Array<{ id: string; status: string; paymentId: string | null }>,
) {
  const confirmed = orders.filter((order) => order.status === 'confirmed');
  expect(confirmed.filter((order) => order.paymentId === null)).toEqual([]);
  const expected = confirmed.map((order) => `${order.id} ${order.paymentId} captured`).sort();
  await eventually(
    async () => {
      const stores = await paymentsByOrder(
        system,
        orders.map((order) => order.id),
      );
      const captured = (lines: string[]) => lines.filter((line) => line.endsWith(' captured'));
      expect([captured(stores.legacy), captured(stores.service)]).toEqual([expected, expected]);
      const orderCount = (lines: string[]) => new Set(lines.map((line) => line.split(' ')[0])).size;
      expect([orderCount(stores.legacy), orderCount(stores.service)]).toEqual([
        stores.legacy.length,
        stores.service.length,
      ]);
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  await eventually(
    async () => {
      const report = await verifyPayments(system);
      expect([report.equal, report.mismatchExamples]).toEqual([true, []]);
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
}
