// Accessibility: axe-core finds no serious or critical violation on the sign-in view, the
// dashboard at 1440 px and 375 px, in dark mode, with a banner and with Live rows; and the page
// works from the keyboard, from typing the token to paging the log. The Live toggle sits in the
// log's header, after the chart: the tab stops before Timeframe are unchanged.

import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, test, type AuditPage } from './support/fixtures';
import { appendActivities } from './support/gateway';

/**
 * axe's default run: every rule enabled by default, which is all of its wcag2a and wcag2aa rules
 * and the WCAG 2.1/2.2 and best-practice ones besides (a `withTags(['wcag2a', 'wcag2aa'])` run
 * would be a subset of it). Fails on serious or critical findings.
 */
async function expectNoSeriousViolations(page: Page, view: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${String(v.impact)}): ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n    ')}`);
  expect(serious, `axe on ${view}`).toEqual([]);
  // The scan ran rules (not an empty page).
  expect(results.passes.length, `axe on ${view}`).toBeGreaterThan(10);
}

async function signedIn(audit: AuditPage): Promise<void> {
  await audit.open();
  await audit.signIn();
  await audit.expectDrawn();
  // The chart's table alternative is part of the page: scan it open.
  await audit.openChartData();
}

test('axe: the sign-in view, and after a refused token', async ({ audit, page }) => {
  await audit.open();
  await expectNoSeriousViolations(page, 'sign-in');
  await audit.tokenField.fill('agw_unknown');
  await audit.expectOneCall(() => audit.signInButton.click(), 'Dashboard');
  await expect(page.getByRole('alert')).toBeVisible();
  await expectNoSeriousViolations(page, 'sign-in with its alert');
});

test('axe: the dashboard at 1440 px', async ({ audit, page }) => {
  await signedIn(audit);
  await expectNoSeriousViolations(page, 'dashboard, 1440 px');
});

test.describe('at 375 px', () => {
  test.use({ viewport: { width: 375, height: 812 } });
  test('axe: the dashboard at 375 px', async ({ audit, page }) => {
    await signedIn(audit);
    await expectNoSeriousViolations(page, 'dashboard, 375 px');
  });
});

test.describe('dark', () => {
  test.use({ colorScheme: 'dark' });
  test('axe: sign-in and dashboard in dark mode', async ({ audit, page }) => {
    await audit.open();
    await expectNoSeriousViolations(page, 'sign-in, dark');
    await audit.signIn();
    await audit.expectDrawn();
    await audit.openChartData();
    expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(true);
    await expectNoSeriousViolations(page, 'dashboard, dark');
  });
});

test('axe: with a banner shown (light and dark)', async ({ audit, page }) => {
  await signedIn(audit);
  await page.route('**/graphql', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '3' },
      body: JSON.stringify({ errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED' } }] }),
    }),
  );
  await audit.expectOneCall(() => audit.timeframe.selectOption('week'), 'Dashboard');
  await expect(audit.banner).toBeVisible();
  await expectNoSeriousViolations(page, 'dashboard with a banner');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectNoSeriousViolations(page, 'dashboard with a banner, dark');
});

/** Presses Tab until `target` has the focus; fails after `max` presses. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<number> {
  for (let presses = 1; presses <= max; presses += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return presses;
  }
  throw new Error(`Tab did not reach ${String(target)} in ${String(max)} presses`);
}

test('keyboard: type the token, Enter, Tab to Timeframe and change it, Tab to Next and page', async ({ audit, page }) => {
  await audit.open();
  await expect(audit.tokenField).toBeFocused();
  await page.keyboard.type(audit.gateway.token);
  await audit.expectOneCall(() => page.keyboard.press('Enter'), 'Dashboard');
  await audit.expectDrawn();
  // The form is gone: the focus starts at the page's title, not lost on <body>.
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeFocused();

  const presses = await tabTo(page, audit.timeframe);
  expect(presses, 'Timeframe comes right after the header’s Export CSV, Playground link and Sign out').toBe(4);
  const { call } = await audit.change(() => page.keyboard.press('ArrowDown'));
  expect(call.variables.filter).toMatchObject({ timeframe: 'QUARTER' });
  await expect(audit.timeframe).toBeFocused();

  await tabTo(page, audit.next);
  const { call: next } = await audit.logPage(() => page.keyboard.press('Enter'));
  expect(next.variables).toMatchObject({ first: 50 });
  expect(typeof next.variables.after).toBe('string');
  await expect(audit.next).toBeFocused();
  // Shift+Tab goes back to Previous, now enabled, and Space pages back.
  await page.keyboard.press('Shift+Tab');
  await expect(audit.previous).toBeFocused();
  const { call: previous } = await audit.logPage(() => page.keyboard.press('Space'));
  expect(typeof previous.variables.before).toBe('string');
});

test('axe: the log with Live on and new rows (light and dark)', async ({ audit, page, gateway }) => {
  await signedIn(audit);
  await page.getByRole('button', { name: 'Live', exact: true }).click();
  await expect(page.locator('.live-status')).toHaveText('Live');
  await appendActivities(gateway, 2, 301);
  await expect(audit.logTable.locator('tbody tr.log-row-new')).toHaveCount(2, { timeout: 5000 });
  await expectNoSeriousViolations(page, 'dashboard with Live rows');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectNoSeriousViolations(page, 'dashboard with Live rows, dark');
});
