import { z } from 'zod';
import { configSlice } from '../../platform/config/base-config.ts';

/** The orders module's settings: the checkout saga's lease, recovery and failure injection. */
export const ordersConfig = configSlice(
  {
    /**
     * Failure injection for rehearsing crashes: the checkout saga stops dead right after this
     * step is recorded, as if the process had died. Refused in production.
     */
    SAGA_CRASH_AFTER: z.enum(['reserve_stock', 'capture_payment', 'schedule_shipment']).optional(),
    /**
     * How long a checkout saga stays claimed by the process driving it without progress; a
     * crashed process's sagas are picked up by another (or the restarted) one after this.
     */
    SAGA_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** How often each process looks for sagas left unfinished (by a crash) to complete or undo. */
    SAGA_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(10_000),
  },
  [
    (env) =>
      env.SAGA_CRASH_AFTER
        ? { path: 'SAGA_CRASH_AFTER', message: 'failure injection is not allowed in production' }
        : undefined,
  ],
);
export type OrdersConfig = z.output<z.ZodObject<typeof ordersConfig.shape>>;
