import { sql } from 'drizzle-orm';
import { PAYMENTS_SERVICE_MIGRATIONS } from '../../extracted/payments-service/index.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { createTestDatabase, openMigratedTestDatabase } from '../support/services.ts';

/** The monolith's database and payments-service's, fresh and migrated, with their URLs. */
export interface TwoPaymentDatabases {
  legacy: DatabaseHandle;
  service: DatabaseHandle;
  urls: { legacy: string; service: string };
  cleanup(): Promise<void>;
}

export async function openTwoPaymentDatabases(label: string): Promise<TwoPaymentDatabases> {
  const legacy = await openMigratedTestDatabase(`${label}_legacy`);
  const serviceDatabase = await createTestDatabase(`${label}_service`);
  const service = await openDatabase({ url: serviceDatabase.url, dataDir: '', name: label });
  await service.migrate(PAYMENTS_SERVICE_MIGRATIONS);
  return {
    legacy: legacy.handle,
    service,
    urls: { legacy: legacy.url, service: serviceDatabase.url },
    async cleanup() {
      await service.close();
      await serviceDatabase.drop();
      await legacy.cleanup();
    },
  };
}

/**
 * `count` legacy payments as the module leaves them: every tenth failed (version 2), every fifth
 * refunded with its refund (version 3), the rest captured (version 2), every seventh without a
 * card; and `pending` captures still at the provider (version 1), which are not copied. Three
 * rows share each created_at, which has microseconds, so the keyset order is put to the test.
 */
export async function seedLegacyPayments(
  legacy: DatabaseHandle,
  count: number,
  pending = 0,
): Promise<void> {
  await legacy.db.execute(sql`
    insert into payments.payments
      (order_id, user_id, amount_minor, currency, status, failure_reason, provider_reference,
       card_token_last4, created_at, updated_at, version)
    select gen_random_uuid(), gen_random_uuid(), 1000 + i, 'EUR',
      case when i % 10 = 0 then 'failed' when i % 5 = 0 then 'refunded' else 'captured' end,
      case when i % 10 = 0 then 'card declined' end,
      case when i % 10 <> 0 then 'sbx_ch_' || i end,
      case when i % 7 <> 0 then 'visa' end,
      timestamptz '2026-01-01 00:00:00+00' + (i / 3) * interval '1.001234 ms',
      timestamptz '2026-01-02 00:00:00+00' + i * interval '1 ms',
      case when i % 10 = 0 then 2 when i % 5 = 0 then 3 else 2 end
    from generate_series(1, ${count}) as i`);
  await legacy.db.execute(sql`
    insert into payments.refunds (payment_id, amount_minor, currency, reason, provider_reference, created_at)
    select id, amount_minor, currency, 'seeded refund', 'sbx_rf_' || id, updated_at
    from payments.payments where status = 'refunded'`);
  if (pending > 0) {
    await legacy.db.execute(sql`
      insert into payments.payments (order_id, user_id, amount_minor, currency, status, card_token)
      select gen_random_uuid(), gen_random_uuid(), 500, 'EUR', 'pending', 'tok_visa'
      from generate_series(1, ${pending})`);
  }
}
