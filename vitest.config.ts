import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'tools/**/*.test.ts',
      'extracted/**/*.test.ts',
      'facade/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'tools/boundaries/fixtures/**'],
    // Each file gets its own database and Redis prefix, so files run in parallel safely.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
    // Fails an e2e test whose answers broke the served /openapi.json (see test/e2e/send-request.ts).
    setupFiles: ['test/e2e/fail-on-nonconforming-answers.ts'],
  },
});
