import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real agents, routers and load loops; the machine has 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
