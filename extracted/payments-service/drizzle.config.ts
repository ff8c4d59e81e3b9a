import { defineConfig } from 'drizzle-kit';

// payments-service's own migration stream: the platform's bus tables (its outbox and inbox)
// its backfill checkpoints, and its payments schema, for its own database.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/platform/bus/schema.ts',
    './src/platform/extraction/schema.ts',
    './extracted/payments-service/schema.ts',
  ],
  out: './extracted/payments-service/migrations',
  dbCredentials: {
    url: process.env.PAYMENTS_SERVICE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  strict: true,
});
