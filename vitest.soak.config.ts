import { defineConfig } from 'vitest/config';

// `npm run soak`: long wall-clock load runs, kept out of `npm test` (they measure real time).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
  },
});
