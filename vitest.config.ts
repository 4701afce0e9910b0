import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    pool: 'forks',
    reporters: ['default', './test/helpers/plain-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Stray process warnings and unhandled rejections fail the run.
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
