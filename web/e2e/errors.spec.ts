// What the page says when the API refuses or fails: 401 back to sign-in; 429 and 504 (the
// gateway's exact answers, fulfilled here) as a banner whose Retry sends the request again; an
// empty window. (403 and a real 503 are in postgres.spec.ts.)

import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';

test('a wrong token returns to sign-in saying it was not accepted', async ({ audit, page }) => {
  await audit.open();
  await audit.tokenField.fill('agw_this_token_was_never_issued_0000000000000');
  const { status } = await audit.expectOneCall(() => audit.signInButton.click(), 'Dashboard');
  expect(status).toBe(401);
  await expect(audit.signInButton).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('The token was not accepted: it is unknown, expired or revoked.');
  expect(await page.evaluate(() => sessionStorage.getItem('audit-gateway.token'))).toBeNull();
  // A token with a space is refused before anything is sent.
  await audit.tokenField.fill('not a token');
  await audit.signInButton.click();
  await expect(page.getByRole('alert')).toContainText('That is not an API token');
  expect(audit.calls).toHaveLength(1);
  // And the right one still signs in.
  await audit.signIn();
  await audit.expectDrawn();
});

/** Answers the page's next POST /graphql with `status`/`body` (and headers), the rest reach the gateway. */
async function failNext(page: Page, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  let done = false;
  await page.route('**/graphql', async (route) => {
    if (done || route.request().method() !== 'POST') {
      await route.continue();
      return;
    }
    done = true;
    await route.fulfill({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  });
}

test('429: a banner with the wait and Retry, which sends the same request again', async ({ audit, page }) => {
  await audit.open();
  await audit.signIn();
  await failNext(page, 429, { errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED' } }] }, { 'retry-after': '3' });
  const failed = await audit.expectOneCall(() => audit.timeframe.selectOption('week'), 'Dashboard');
  expect(failed.status).toBe(429);
  await expect(audit.banner).toContainText('Too many requests for this token. Try again in 3 s.');
  const retry = audit.banner.getByRole('button', { name: 'Retry' });
  await expect(retry).toBeVisible();
  // The month's figures stay on screen under the banner.
  await expect(audit.card('Total actions').locator('.figure')).not.toHaveText('…');

  const { call } = await audit.change(() => retry.click());
  expect(call.variables).toEqual(failed.call.variables);
  expect(call.variables.filter).toMatchObject({ timeframe: 'WEEK' });
  await expect(audit.banner).toHaveCount(0);
});

test('504 on the first request: a banner with Retry, then the dashboard', async ({ audit, page }) => {
  await failNext(page, 504, { errors: [{ message: 'Request timed out', extensions: { code: 'TIMEOUT' } }] });
  await audit.open();
  await audit.tokenField.fill(audit.gateway.token);
  const failed = await audit.expectOneCall(() => audit.signInButton.click(), 'Dashboard');
  expect(failed.status).toBe(504);
  await expect(audit.banner).toContainText('The request took too long.');
  // Still signed in (a timeout says nothing about the token), nothing drawn yet.
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(audit.chart).toHaveAttribute('aria-label', 'Activity chart: loading');

  const { call } = await audit.change(() => audit.banner.getByRole('button', { name: 'Retry' }).click());
  expect(call.variables).toEqual(failed.call.variables);
  await expect(audit.banner).toHaveCount(0);
});

test('an empty window says so, in the cards, the chart and the log', async ({ audit, page }) => {
  await audit.open('?timeframe=custom&from=2001-01-01&to=2001-01-31');
  const { call, data } = await audit.signIn();
  expect(call.variables).toEqual({
    filter: { timeZone: 'Europe/Berlin', includeInternal: true, startDate: '2001-01-01', endDate: '2001-01-31' },
    interval: 'DAY',
    first: 50,
  });
  expect(data.activityInsights.totalActions).toBe(0);
  await expect(audit.card('Unique actors').locator('.figure')).toHaveText('0');
  await expect(audit.card('Total actions').locator('.figure')).toHaveText('0');
  await expect(audit.card('Top actor').locator('.figure')).toHaveText('None');
  await expect(audit.card('Top entity type').locator('.figure')).toHaveText('None');
  await expect(page.locator('.chart-panel').getByText('No actions in this window')).toBeVisible();
  await expect(audit.chart).toHaveAttribute('aria-label', 'Activity chart: 0 actions by day from 2001-01-01 to 2001-01-31');
  await expect(audit.logTable.locator('tbody')).toHaveText('No actions in this window');
  await expect(audit.logTotal).toHaveText('0 actions');
  await expect(audit.next).toHaveAttribute('aria-disabled', 'true');
  await expect(page.getByRole('listbox', { name: 'Users', exact: true })).toHaveAccessibleDescription('None in this window');
  await expect(audit.from).toHaveValue('2001-01-01');
  await expect(audit.to).toHaveValue('2001-01-31');
  await expect(audit.banner).toHaveCount(0);
});
