import { defineConfig } from 'vitest/config';

/**
 * Test settings every project shares: resolve workspace packages to their TypeScript sources
 * (the "development" export condition), one forked process per file, generous timeouts for
 * tests that load ONNX models (no timed assertions: timeouts only stop a hung test).
 */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
