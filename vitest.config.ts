import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // One line when tests skip for want of model files the repository does not ship.
    globalSetup: ['test/fixtures/announceTestModels.ts'],
    // tfjs backends are process-global; forks keep each test file in its own process.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
