import { defineConfig } from 'drizzle-kit';

// One migration stream for the monolith: the platform's tables and every module's schema.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/platform/bus/schema.ts',
    './src/platform/auth/schema.ts',
    './src/platform/seams/schema.ts',
    './src/modules/*/schema.ts',
  ],
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  strict: true,
});
