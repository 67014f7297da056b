import { defineConfig } from 'vitest/config';

// Component and build tests; the browser tests under e2e/ are Playwright's.
export default defineConfig({
  test: { include: ['test/**/*.test.{ts,tsx}'], environment: 'jsdom', testTimeout: 60_000 },
});
