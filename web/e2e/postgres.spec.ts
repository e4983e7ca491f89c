// Against PostgreSQL, for what needs the real thing: a 403 for a token whose account is not an
// Admin, and the 503 banner when the database stops under the page (a proxy in front of
// PostgreSQL is cut), then the dashboard again once it is back and Retry is pressed.
// PostgreSQL at 127.0.0.1:5432 is required: without it these tests fail, they do not skip.

import { startPostgres, waitUntilReady, type PostgresGateway } from './support/gateway';
import { expect, test as base } from './support/fixtures';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no test-scoped fixtures of its own
const test = base.extend<{}, { pg: PostgresGateway }>({
  pg: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture uses from this pattern
    async ({}, use) => {
      const pg = await startPostgres();
      await use(pg);
      await pg.stop();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  // The page and the helpers talk to this gateway; the SQLite demo is not started.
  gateway: [
    async ({ pg }, use) => {
      await use(pg);
    },
    { scope: 'worker' },
  ],
});

test('403: a token of an account that is not an Admin returns to sign-in saying so', async ({ audit, pg, page }) => {
  await audit.open();
  await audit.tokenField.fill(pg.memberToken);
  const { status, body } = await audit.expectOneCall(() => audit.signInButton.click(), 'Dashboard');
  expect(status).toBe(403);
  expect(body).toEqual({ errors: [{ message: 'Not enough permissions', extensions: { code: 'FORBIDDEN' } }] });
  await expect(audit.signInButton).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('This token’s account is not an Admin: only Admins may read the audit log.');
  expect(await page.evaluate(() => sessionStorage.getItem('audit-gateway.token'))).toBeNull();
});

test('503: the database stops under the page: a banner with Retry; back, Retry draws the dashboard', async ({ audit, pg }) => {
  test.setTimeout(90_000);
  await audit.open();
  const { data } = await audit.signIn();
  expect(data.activityInsights.totalActions).toBeGreaterThan(0);
  await audit.expectDrawn();

  await pg.cutDatabase();
  const failed = await audit.expectOneCall(() => audit.timeframe.selectOption('week'), 'Dashboard');
  expect(failed.status).toBe(503);
  // Refused at the door (the gateway already knows the database is away) or failed field by field
  // (it found out during this request): either way a 503 with no data and nothing but unavailable.
  const answer = failed.body as { data?: unknown; errors: unknown[] };
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors.length).toBeGreaterThan(0);
  for (const error of answer.errors) {
    expect(error).toMatchObject({ message: 'Service unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
  await expect(audit.banner).toContainText('The audit log is unavailable at the moment.');
  const retry = audit.banner.getByRole('button', { name: 'Retry' });

  // Retry while it is still away: one more request, the same banner.
  const again = await audit.expectOneCall(() => retry.click(), 'Dashboard');
  expect(again.status).toBe(503);
  expect(again.call.variables).toEqual(failed.call.variables);
  await expect(audit.banner).toContainText('The audit log is unavailable at the moment.');

  await pg.restoreDatabase();
  await waitUntilReady(pg.origin);
  const { call, data: week } = await audit.change(() => retry.click());
  expect(call.variables).toEqual(failed.call.variables);
  expect(call.variables.filter).toMatchObject({ timeframe: 'WEEK' });
  await expect(audit.banner).toHaveCount(0);
  await expect(audit.card('Total actions').locator('.figure')).toHaveText(new Intl.NumberFormat('en-US').format(week.activityInsights.totalActions));
});
