import { defineConfig } from 'drizzle-kit';

// The facade's own migration stream, for its own database: the platform's bus tables, its copy
// of the users side's token revocations, and the facade schema (route toggles, their journal,
// replicas, shadow parity, verify reports).
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/platform/bus/schema.ts', './src/platform/auth/schema.ts', './facade/schema.ts'],
  out: './facade/migrations',
  dbCredentials: {
    url: process.env.FACADE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  strict: true,
});
