// The browser test (npm run test:browser): a generated report opened in Debian's chromium
// through playwright-core. Apart from `npm test` because it needs chromium; .ci/run installs it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['reports/**/*.browser.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
