import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // better-sqlite3 is a native addon: forks keep each test file in its own process.
    pool: 'forks',
    // Finds the PostgreSQL server once per run (or says once that its tests are skipped): test/support/postgres.ts.
    globalSetup: ['test/support/postgresGlobalSetup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
