// Signing in, and what the dashboard shows against what the API says for the same filter.

import type { Request } from '@playwright/test';
import {
  CARDS_QUERY,
  PAGE_QUERY,
  expect,
  expectedRows,
  formatCount,
  graphql,
  test,
  type CardsAnswer,
  type PageAnswer,
} from './support/fixtures';

const actions = (n: number): string => `${formatCount(n)} ${n === 1 ? 'action' : 'actions'}`;

test('signing in draws the cards, the chart and the log with one request, and nothing else', async ({ audit, page }) => {
  await audit.open();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(audit.tokenField).toBeFocused();

  const requests: Request[] = [];
  page.on('request', (request) => requests.push(request));
  const { call } = await audit.signIn();
  await audit.expectDrawn();

  for (const name of ['Unique actors', 'Total actions', 'Top actor', 'Top entity type'] as const) {
    await expect(audit.card(name)).toBeVisible();
  }
  await expect(audit.chart).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Activity log' })).toBeVisible();
  await expect(audit.logTable.locator('tbody tr')).toHaveCount(50);

  // Signing in sent nothing by itself: the one request is the dashboard's, a full query (no
  // persisted-query hash first), with the token as a bearer header and no cookie.
  expect(requests.map((r) => `${r.method()} ${new URL(r.url()).pathname}`)).toEqual(['POST /graphql']);
  expect(audit.calls).toHaveLength(1);
  expect(call.query).toMatch(/^\s*query Dashboard\(/);
  const headers = await call.request.allHeaders();
  expect(headers.authorization).toBe(`Bearer ${audit.gateway.token}`);
  expect(headers.cookie).toBeUndefined();
  // The default view: the month ending today in the browser's zone, internal users included.
  expect(call.variables).toEqual({ filter: { timeZone: 'Europe/Berlin', includeInternal: true, timeframe: 'MONTH' }, interval: 'DAY', first: 50 });
  // The token stays out of the URL and of localStorage.
  expect(page.url()).not.toContain(audit.gateway.token);
  expect(await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.getItem('audit-gateway.token') }))).toEqual({
    local: 0,
    session: audit.gateway.token,
  });
});

test('the cards equal the API’s figures for the page’s own filter', async ({ audit }) => {
  await audit.open();
  const views = [
    () => audit.signIn(),
    // Narrower: a week, then without internal users.
    () => audit.change(() => audit.timeframe.selectOption('week')),
    () => audit.change(() => audit.internal.uncheck()),
  ];
  for (const view of views) {
    const { call } = await view();
    const { activityInsights: api } = await graphql<CardsAnswer>(audit.gateway.origin, audit.gateway.token, CARDS_QUERY, {
      filter: call.variables.filter,
    });
    if (api.topActor === null || api.topEntityType === null) throw new Error('the demo has a top actor and entity type');
    expect(await audit.cards(), JSON.stringify(call.variables.filter)).toEqual({
      uniqueActors: formatCount(api.uniqueActors),
      totalActions: formatCount(api.totalActions),
      topActor: api.topActor.name,
      topActorDetail: actions(api.topActor.actionCount),
      topType: api.topEntityType.objectType,
      topTypeDetail: actions(api.topEntityType.count),
    });
  }
  expect(audit.calls.map((c) => c.variables.filter)).toEqual([
    { timeZone: 'Europe/Berlin', includeInternal: true, timeframe: 'MONTH' },
    { timeZone: 'Europe/Berlin', includeInternal: true, timeframe: 'WEEK' },
    { timeZone: 'Europe/Berlin', includeInternal: false, timeframe: 'WEEK' },
  ]);
});

test('the chart’s buckets add up to the total, and the log is the API’s first page', async ({ audit }) => {
  await audit.open();
  const { call, data } = await audit.signIn();
  const total = data.activityInsights.totalActions;

  const rows = await audit.chartRows();
  expect(rows).toHaveLength(data.activityInsights.chart.length);
  expect(rows.length).toBeGreaterThanOrEqual(28);
  expect(rows.reduce((sum, r) => sum + r.user + r.system, 0)).toBe(total);
  expect(rows.some((r) => r.system > 0), 'the demo has system actions').toBe(true);
  await expect(audit.card('Total actions').locator('.figure')).toHaveText(formatCount(total));
  await expect(audit.chart).toHaveAttribute('aria-label', new RegExp(`^Activity chart: ${actions(total)} by day from `));

  const api = (await graphql<PageAnswer>(audit.gateway.origin, audit.gateway.token, PAGE_QUERY, { filter: call.variables.filter, first: 50 }))
    .activityConnection;
  expect(api.edges).toHaveLength(50);
  expect(await audit.logRows()).toEqual(expectedRows(api, 'Europe/Berlin'));
  // The same rows in the same order, by id, as the page received them.
  expect(data.activityConnection.edges.map((e) => e.node.id)).toEqual(api.edges.map((e) => e.node.id));
  await expect(audit.logTotal).toHaveText(actions(api.totalCount));
  expect(api.totalCount).toBe(total);
});

test('the page asks nothing of another host and throws no error, through a tour of its controls', async ({ audit, page }) => {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await audit.open();
  await audit.signIn();
  await audit.change(() => audit.timeframe.selectOption('quarter'));
  await audit.change(() => audit.interval.selectOption('month'));
  await audit.openChartData();
  await audit.logPage(() => audit.next.click());
  await audit.change(() => page.reload());
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(audit.signInButton).toBeVisible();

  const origin = audit.gateway.origin;
  const foreign = urls.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
  expect(foreign).toEqual([]);
  // The page, its script and styles, and the API: nothing else (no fonts, no favicon fetch).
  expect([...new Set(urls.filter((u) => u.startsWith(origin)).map((u) => new URL(u).pathname))].sort()).toEqual([
    '/',
    '/assets/app.css',
    '/assets/app.js',
    '/graphql',
  ]);
  expect(errors).toEqual([]);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
});
