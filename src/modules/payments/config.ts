import { z } from 'zod';
import { configSlice } from '../../platform/config/base-config.ts';

/** The payments module's settings. */
export const paymentsConfig = configSlice({
  /** The sandbox payment provider's added latency per call, to rehearse slow providers. */
  PAYMENT_SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /**
   * How long payments waits for the provider's answer to a charge or refund; past it the
   * outcome counts as unknown (the payment stays pending and is asked about again).
   */
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});
export type PaymentsConfig = z.output<z.ZodObject<typeof paymentsConfig.shape>>;
