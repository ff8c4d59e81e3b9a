import { z } from 'zod';
import { serviceCalleeConfig } from '../../src/platform/auth/service-credentials-config.ts';
import {
  componentConfigSchema,
  configSlice,
  loadConfig,
  optionalUrl,
  portSetting,
} from '../../src/platform/config/base-config.ts';

/**
 * payments-service's own settings, on the platform's base: no monolith setting (saga, shipping,
 * dashboard) is in here. Its names carry the service's prefix, so one process running every
 * component reads each component's own.
 */
export const paymentsServiceSlice = configSlice({
  PAYMENTS_SERVICE_PORT: portSetting(3003),
  /** Its own PostgreSQL database; without it an embedded PGlite directory under DATA_DIR. */
  PAYMENTS_SERVICE_DATABASE_URL: optionalUrl,
  /** The sandbox provider's added latency per call, to rehearse a slow provider. */
  PAYMENTS_SERVICE_SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * How long the service waits for the provider's answer to a charge or refund; past it the
   * outcome is unknown (the payment stays authorized and is asked about again).
   */
  PAYMENTS_SERVICE_PROVIDER_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000),
  /** How long a repeated Idempotency-Key waits for the first request before a 409. */
  PAYMENTS_SERVICE_IDEMPOTENCY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  ...serviceCalleeConfig.shape,
});

export const paymentsServiceConfigSchema = componentConfigSchema(paymentsServiceSlice, {
  databaseUrl: 'PAYMENTS_SERVICE_DATABASE_URL',
});

export type PaymentsServiceConfig = z.output<typeof paymentsServiceConfigSchema>;

export const loadPaymentsServiceConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(paymentsServiceConfigSchema, env);
