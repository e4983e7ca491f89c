// A benchmark, not a test: how long the page takes, in headless Chromium, against the demo of the
// binary in AUDIT_GATEWAY_BIN (pass a release build):
// (a) from pressing "Sign in" to the cards, the chart and the log drawn;
// (b) from a filter change (Timeframe Month → Week) to the redraw finished;
// each over REPEAT runs, printed as median and p90 in ms, with the gzipped size of dist/.
// Times are taken in the page (performance.now()): from the submit or change event to the first
// frame after the page shows the answer, so Playwright's own round trips are not counted.
// Run: AUDIT_GATEWAY_BIN=../target/release/audit-gateway npm run timings

import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from '@playwright/test';
import { test, servePageFromDist } from './support/fixtures';
import { BIN, WEB_DIR } from './support/gateway';

const REPEAT = Number(process.env.TIMINGS_REPEAT ?? 15);

interface Probe {
  __measure?: Promise<number>;
}

/**
 * Starts a measurement in the page: from the next `event` (capture phase, on the document) to the
 * first frame after the dashboard is drawn and idle, with a chart label other than the one shown now.
 */
async function arm(page: Page, event: 'submit' | 'change'): Promise<void> {
  await page.evaluate((type) => {
    const probe = window as unknown as Probe;
    const before = document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? null;
    probe.__measure = new Promise<number>((resolve) => {
      let start: number | null = null;
      const drawn = (): boolean => {
        const main = document.querySelector('main#main');
        const label = document.querySelector('.chart-canvas')?.getAttribute('aria-label') ?? null;
        return (
          main !== null &&
          main.getAttribute('aria-busy') !== 'true' &&
          label !== null &&
          label !== before &&
          label !== 'Activity chart: loading' &&
          document.querySelector('.chart-canvas canvas') !== null &&
          document.querySelectorAll('.log-table tbody td.log-time').length > 0 &&
          !Array.from(document.querySelectorAll('.card .figure')).some((f) => f.textContent === '…')
        );
      };
      const observer = new MutationObserver(() => {
        if (start === null || !drawn()) return;
        observer.disconnect();
        const begun = start;
        // The frame that paints it, then the task after that frame.
        requestAnimationFrame(() => {
          setTimeout(() => {
            resolve(performance.now() - begun);
          }, 0);
        });
      });
      document.addEventListener(
        type,
        () => {
          start = performance.now();
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        },
        { capture: true, once: true },
      );
    });
  }, event);
}

async function measured(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as Probe).__measure ?? Promise.reject(new Error('not armed')));
}

function quantile(sorted: number[], q: number): number {
  // Nearest rank.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function summary(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (n: number): string => n.toFixed(1).padStart(7);
  return `${name.padEnd(44)} median ${ms(quantile(sorted, 0.5))} ms   p90 ${ms(quantile(sorted, 0.9))} ms   (n=${String(sorted.length)}, min ${sorted[0]?.toFixed(1) ?? '-'}, max ${sorted.at(-1)?.toFixed(1) ?? '-'})`;
}

test('timings: sign-in to dashboard, and a filter change to its redraw', async ({ browser, gateway, baseURL }) => {
  const signIn: number[] = [];
  const change: number[] = [];

  for (let i = 0; i < REPEAT; i += 1) {
    // A fresh tab each time: nothing signed in, nothing cached but what the page load fetched.
    const context = await browser.newContext({ baseURL: baseURL ?? gateway.origin });
    await servePageFromDist(context);
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('API token').fill(gateway.token);
    await arm(page, 'submit');
    await page.getByRole('button', { name: 'Sign in' }).click();
    signIn.push(await measured(page));

    const timeframe = page.getByRole('combobox', { name: 'Timeframe' });
    await arm(page, 'change');
    await timeframe.selectOption('week');
    change.push(await measured(page));
    await context.close();
  }

  let gzipped = 0;
  for (const file of ['assets/app.js', 'assets/app.css']) {
    gzipped += gzipSync(fs.readFileSync(path.join(WEB_DIR, 'dist', file)), { level: 9 }).length;
  }

  const lines = [
    `audit page timings: ${BIN}, headless Chromium, ${String(REPEAT)} runs each`,
    summary('(a) Sign in → cards, chart and log drawn', signIn),
    summary('(b) Timeframe Month → Week → redrawn', change),
    `dist/ (app.js + app.css) gzipped: ${String(gzipped)} B (${(gzipped / 1024).toFixed(1)} KB)`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
});
