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
import { issueAccessToken, type Role } from '../../../src/platform/auth/access-token.ts';
import { outbox } from '../../../src/platform/bus/schema.ts';
import { startComponent } from '../../../src/platform/component/start-component.ts';
import { createTestDatabase } from '../../support/services.ts';

export interface PaymentsServiceHarness {
  service: PaymentsService;
  /** A request to the service's app (no socket); a body that is not a string is sent as JSON. */
  send(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** An access token for a made-up (or given) user: a forwarded end user. */
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
): Promise<PaymentsServiceHarness> {
  const database = await createTestDatabase(label);
  const config = loadPaymentsServiceConfig({
    PAYMENTS_SERVICE_DATABASE_URL: database.url,
    PAYMENTS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const service = await startComponent(
    createPaymentsServiceComponent(options),
    config,
    pino({ level: 'silent' }),
  );
  const { db } = service.database;
  const settings = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: 600 };
  return {
    service,
    send(method, path, { token, body, headers = {} } = {}) {
      return Promise.resolve(
        service.app.request(path, {
          method,
          headers: {
            ...(token !== undefined && { authorization: `Bearer ${token}` }),
            ...(body !== undefined && { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body !== undefined && {
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }),
        }),
      );
    },
    async tokenFor(roles, userId = randomUUID()) {
      return (await issueAccessToken(settings, { id: userId, roles })).token;
    },
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
