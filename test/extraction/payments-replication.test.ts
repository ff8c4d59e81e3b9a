import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentRecords as servicePayments } from '../../extracted/payments-service/schema.ts';
import { paymentsExtraction } from '../../facade/extraction/payments.ts';
import { verifyCapability } from '../../facade/extraction/verify.ts';
import type { PaymentState, PaymentV1 } from '../../src/contracts/payments/v1/index.ts';
import { paymentChanged } from '../../src/contracts/payments/v1/index.ts';
import { inbox, outbox } from '../../src/platform/bus/schema.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { captureRequest } from '../extracted/payments-service/harness.ts';
import { paymentRecords as legacyPayments } from '../modules/payments/legacy-tables.ts';
import { createTestRedis, eventually, type TestRedis } from '../support/services.ts';
import {
  type BothPaymentStores,
  legacyCapture,
  startBothPaymentStores,
} from './payments-stores.ts';

// Both payments implementations live at once, each writing: every settled change reaches the
// other side through payment.changed, and both stores end up identical (extract:verify's check).

let stores: BothPaymentStores;

const verify = () =>
  verifyCapability({
    extraction: paymentsExtraction,
    legacyDb: stores.legacy.db,
    serviceDb: stores.service.service.database.db,
  });

async function serviceCapture(overrides: Parameters<typeof captureRequest>[0] = {}) {
  const response = await stores.service.send('POST', '/v1/payments', {
    body: captureRequest(overrides),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as PaymentV1;
}

const versionsOf = async (db: Database, table: typeof legacyPayments | typeof servicePayments) =>
  new Map(
    (await db.select({ id: table.id, version: table.version }).from(table)).map((row) => [
      row.id,
      row.version,
    ]),
  );

const changesPublished = async (db: Database) =>
  (
    await db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(eq(outbox.name, paymentChanged.name))
  )[0]?.n;

describe.each(['in-process', 'bullmq'] as const)(
  'payments written on both sides at once, %s',
  (kind) => {
    let redis: TestRedis | undefined;
    beforeAll(async () => {
      redis = kind === 'bullmq' ? createTestRedis('sync_payments') : undefined;
      stores = await startBothPaymentStores(`sync_payments_${kind}`, redis);
    });
    afterAll(async () => {
      await stores.stop();
      await redis?.cleanup();
    });

    it('converge: captures on each side, refunds on the other, verify finds no difference', async () => {
      const { legacy } = stores;
      const [legacySide, serviceSide] = await Promise.all([
        Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            legacy.module.api.capture(
              legacyCapture(2500 + i, i % 4 === 0 ? 'tok_decline' : 'tok_visa'),
            ),
          ),
        ),
        Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            serviceCapture(i % 2 === 0 ? { source: { type: 'customer_default' } } : {}),
          ),
        ),
      ]);
      await eventually(async () => expect((await verify()).matches).toBe(24));

      // Refunds of some of each side's payments, made on the OTHER side.
      const legacyCaptured = legacySide.filter((p) => p.status === 'captured').slice(0, 4);
      const serviceCaptured = serviceSide.slice(0, 4);
      await Promise.all([
        ...legacyCaptured.map(async (payment) => {
          const response = await stores.service.send('POST', `/v1/payments/${payment.id}/refunds`, {
            body: { reason: 'refunded on the service' },
          });
          expect(response.status).toBe(201);
        }),
        ...serviceCaptured.map(async (payment) => {
          const refunded = await legacy.module.api.refund({
            orderId: payment.order_ref,
            reason: 'refunded on the legacy side',
          });
          expect(refunded?.status).toBe('refunded');
        }),
      ]);

      const report = await eventually(async () => {
        const current = await verify();
        expect(current).toMatchObject({ equal: true, matches: 24 });
        return current;
      });
      expect(report).toMatchObject({
        mismatches: 0,
        missingInService: { count: 0 },
        missingInLegacy: { count: 0 },
        conflicts: [],
      });
      const legacyVersions = await versionsOf(legacy.db, legacyPayments);
      expect(await versionsOf(stores.service.service.database.db, servicePayments)).toEqual(
        legacyVersions,
      );
      // Settled is version 2, refunded (one change more) 3, wherever each change was made.
      expect([...legacyVersions.values()].filter((v) => v === 3)).toHaveLength(8);
      // Nothing looped: each side published one payment.changed per change it made itself.
      expect(await changesPublished(legacy.db)).toBe(12 + 4);
      expect(await changesPublished(stores.service.service.database.db)).toBe(12 + 4);
    });

    it('does not let an older version overwrite a newer one', async () => {
      const { legacy, service } = stores;
      const payment = await serviceCapture();
      await eventually(async () =>
        expect(
          await legacy.db.select().from(legacyPayments).where(eq(legacyPayments.id, payment.id)),
        ).toHaveLength(1),
      );
      await legacy.module.api.refund({ orderId: payment.order_ref, reason: 'changed my mind' });
      await eventually(async () => {
        const [row] = await service.rowsFor(payment.order_ref);
        expect(row).toMatchObject({ status: 'refunded', version: 3 });
      });

      // The captured state (version 2) arrives again, late: the legacy copy stays refunded.
      const stale: PaymentState = {
        payment: {
          ...payment,
          status: 'captured',
          card_last4: 'visa',
        },
        refund: null,
        version: 2,
      };
      const serviceDb = service.service.database.db;
      const envelope = await serviceDb.transaction((tx) =>
        service.service.bus.publish(tx, paymentChanged, stale),
      );
      await eventually(async () =>
        expect(
          await legacy.db
            .select()
            .from(inbox)
            .where(
              and(
                eq(inbox.consumer, 'payments.replicate-from-service'),
                eq(inbox.eventId, envelope.metadata.id),
              ),
            ),
        ).toHaveLength(1),
      );
      const [row] = await legacy.db
        .select()
        .from(legacyPayments)
        .where(eq(legacyPayments.id, payment.id));
      expect(row).toMatchObject({ status: 'refunded', version: 3 });
    });

    it('lets a payment for an order the other side paid with another payment end dead, and verify name it', async () => {
      const { legacy, service } = stores;
      const orderRef = randomUUID();
      // Both sides capture the same order, each its own payment: no version settles that.
      const [here, there] = await Promise.all([
        legacy.module.api.capture({ ...legacyCapture(), orderId: orderRef }),
        serviceCapture({ order_ref: orderRef }),
      ]);
      await eventually(async () => {
        const dead = await legacy.bus.deadDeliveries();
        expect(dead.map((d) => d.subscriber)).toContain('payments.replicate-from-service');
      });
      await eventually(async () => {
        const dead = await service.service.bus.deadDeliveries();
        expect(dead.map((d) => d.subscriber)).toContain('payments-service.replicate-from-legacy');
      });
      const report = await verify();
      expect(report.equal).toBe(false);
      expect(report.conflicts).toContainEqual({
        field: 'payment.order_ref',
        value: orderRef,
        legacyId: here.id,
        serviceId: there.id,
      });
    });
  },
);
