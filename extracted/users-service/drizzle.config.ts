import { defineConfig } from 'drizzle-kit';

// users-service's own migration stream, for its own database: the platform's event tables
// (outbox, deliveries, inbox) and its `users` schema.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/platform/bus/schema.ts',
    './src/platform/extraction/schema.ts',
    './extracted/users-service/schema.ts',
  ],
  out: './extracted/users-service/migrations',
  dbCredentials: {
    url: process.env.USERS_SERVICE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  strict: true,
});
