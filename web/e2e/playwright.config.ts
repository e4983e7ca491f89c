// Playwright's runner for the audit page's end-to-end suite (`npm run e2e`): the real gateway
// binary (AUDIT_GATEWAY_BIN, default ../target/debug/audit-gateway from web/) serving the page,
// driven in Debian's Chromium, headless. No browser is downloaded: CHROMIUM_BIN or /usr/bin/chromium.

import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { ARTIFACTS } from './support/gateway';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: path.join(ARTIFACTS, 'test-results'),
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: process.env.CI !== undefined,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['./support/summary-reporter.ts']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      // As root there is no sandbox (Playwright passes --no-sandbox); this machine has no network
      // beyond the loopback, so Chromium's own background traffic is turned off.
      args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    locale: 'en-US',
    // A zone with summer time and a non-UTC offset, the same on every machine.
    timezoneId: 'Europe/Berlin',
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
