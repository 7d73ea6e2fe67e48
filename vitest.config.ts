import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{controller,harness,scenarios,reports,kind,docs}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
