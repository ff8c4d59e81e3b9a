import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import {
  createPaymentsServiceComponent,
  loadPaymentsServiceConfig,
  type PaymentsService,
  type PaymentsServiceOptions,
} from '../../../extracted/payments-service/index.ts';
import { paymentRecords } from '../../../extracted/payments-service/schema.ts';
import type { CreatePaymentRequest } from '../../../src/contracts/payments/v1/index.ts';
import type { Role } from '../../../src/platform/auth/access-token.ts';
import { outbox } from '../../../src/platform/bus/schema.ts';
import {
  type StartOptions,
  startComponent,
} from '../../../src/platform/component/start-component.ts';
import {
  forwardedUser,
  sendAsCaller,
  testServiceCaller,
} from '../../support/service-credentials.ts';
import { createTestDatabase } from '../../support/services.ts';

export interface PaymentsServiceHarness {
  service: PaymentsService;
  /** The component calling it (the monolith): its service tokens are trusted by the service. */
  caller: ReturnType<typeof testServiceCaller>;
  /**
   * A request to the service's app (no socket), as a trusted caller makes it: with a valid
   * service token, and `token` (from tokenFor) forwarding an end user. A body that is not a
   * string is sent as JSON; `headers` may override Authorization.
   */
  send(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A made-up (or given) end user, for `send` to forward. */
  tokenFor(roles: Role[], userId?: string): Promise<string>;
  rowsFor(orderRef: string): Promise<(typeof paymentRecords.$inferSelect)[]>;
  /** The names of the events in the service's outbox about this order, oldest first. */
  eventsFor(orderRef: string): Promise<string[]>;
  paymentCount(): Promise<number>;
  stop(): Promise<void>;
}

/** payments-service started by the kernel on its own fresh PostgreSQL database. */
export async function startPaymentsServiceOnPostgres(
  label: string,
  options: PaymentsServiceOptions = {},
  env: Record<string, string> = {},
  /** Who calls it; pass another harness's to restart "the same" service for the same caller. */
  caller = testServiceCaller('monolith'),
  /** How it meets other components (a shared in-process broker, their subscribers). */
  start: StartOptions = {},
): Promise<PaymentsServiceHarness> {
  const database = await createTestDatabase(label);
  const config = loadPaymentsServiceConfig({
    PAYMENTS_SERVICE_DATABASE_URL: database.url,
    PAYMENTS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const service = await startComponent(
    createPaymentsServiceComponent({ ...options, trustedCallers: caller.trustedCallers }),
    config,
    pino({ level: 'silent' }),
    start,
  );
  const { db } = service.database;
  return {
    service,
    caller,
    send: sendAsCaller(service.app, caller, 'payments-service'),
    tokenFor: forwardedUser,
    rowsFor: (orderRef) =>
      db.select().from(paymentRecords).where(eq(paymentRecords.orderRef, orderRef)),
    async eventsFor(orderRef) {
      const rows = await db
        .select({ name: outbox.name })
        .from(outbox)
        .where(sql`${outbox.payload}->>'orderId' = ${orderRef}`)
        .orderBy(outbox.createdAt);
      return rows.map((row) => row.name);
    },
    async paymentCount() {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(paymentRecords);
      return row?.n ?? 0;
    },
    async stop() {
      await service.stop();
      await database.drop();
    },
  };
}

/** A valid capture request for a fresh order. */
export const captureRequest = (
  overrides: Partial<CreatePaymentRequest> = {},
): CreatePaymentRequest => ({
  order_ref: randomUUID(),
  amount: { amount_minor: 2500, currency: 'EUR' },
  source: { type: 'card', token: 'tok_visa' },
  customer_ref: randomUUID(),
  ...overrides,
});
