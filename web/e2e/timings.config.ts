// `npm run timings`: the benchmark in timings.bench.ts, with the suite's browser settings. Not a
// test suite (nothing is asserted about time) and not part of `npm run e2e`.

import { defineConfig } from '@playwright/test';
import suite from './playwright.config';

export default defineConfig({
  ...suite,
  testMatch: 'timings.bench.ts',
  workers: 1,
  timeout: 600_000,
  reporter: [['list']],
  use: { ...suite.use, trace: 'off', screenshot: 'off' },
});
