import { z } from 'zod';
import { ordersConfig } from './modules/orders/index.ts';
import { paymentsConfig } from './modules/payments/index.ts';
import { shippingConfig } from './modules/shipping/index.ts';
import { usersConfig } from './modules/users/index.ts';
import { authConfig } from './platform/auth/auth-config.ts';
import { serviceCallerConfig } from './platform/auth/service-credentials-config.ts';
import { usersSigningConfig } from './platform/auth/signing-keys.ts';
import {
  componentConfigSchema,
  configSlice,
  loadConfig,
  optionalUrl,
  portSetting,
} from './platform/config/base-config.ts';

const slices = [
  authConfig,
  usersSigningConfig,
  serviceCallerConfig,
  usersConfig,
  ordersConfig,
  paymentsConfig,
  shippingConfig,
];

/** The monolith's configuration: the platform's base, its own settings, and each module's slice. */
export const monolithConfigSchema = componentConfigSchema(
  configSlice(
    {
      MONOLITH_PORT: portSetting(3001),
      /** The monolith's PostgreSQL; without it an embedded PGlite directory under DATA_DIR. */
      DATABASE_URL: optionalUrl,
      /**
       * Which adapter orders' payment port starts with: the legacy payments module in this
       * process, or payments-service over HTTP. Without FACADE_URL, until an admin switches the
       * seam at runtime (PUT /admin/seams/payment-gateway); with it, until the facade first
       * answers (and while it never has).
       */
      PAYMENT_GATEWAY: z.enum(['in-process', 'http']).default('in-process'),
      /**
       * The routing facade. Set, the payment seam follows the facade's toggle of
       * `payments.write.capture` (read with a service token, cached 1 s, the last known state kept
       * while the facade is away) and is moved at the facade, not at /admin/seams.
       */
      FACADE_URL: optionalUrl,
      /** Where payments-service answers, for the HTTP adapter. */
      PAYMENTS_SERVICE_URL: z.url().default('http://127.0.0.1:3003'),
      /**
       * The bound on each call to payments-service (connect, send, answer). Above the service's
       * own provider timeout (10 s by default), so a slow provider's answer still arrives.
       */
      PAYMENTS_SERVICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
      /** Each admin dashboard source gets this long before it is reported unavailable. */
      DASHBOARD_SOURCE_TIMEOUT_MS: z.coerce.number().int().min(10).max(30_000).default(500),
      ...authConfig.shape,
      // The legacy users module signs access tokens; the monolith calls services as itself.
      ...usersSigningConfig.shape,
      ...serviceCallerConfig.shape,
      ...usersConfig.shape,
      ...ordersConfig.shape,
      ...paymentsConfig.shape,
      ...shippingConfig.shape,
    },
    slices.flatMap((slice) => slice.productionRules ?? []),
  ),
  { databaseUrl: 'DATABASE_URL' },
);

export type MonolithConfig = z.output<typeof monolithConfigSchema>;

export const loadMonolithConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(monolithConfigSchema, env);
