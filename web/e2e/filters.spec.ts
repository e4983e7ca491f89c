// Every filter control: one request per change whose variables carry it, the query string that
// records it, reload and back/forward; the time zone in the log; filtering from the log and the chart.

import type { DashboardQuery } from '../src/generated/graphql';
import { PAGE_QUERY, expect, expectedRows, graphql, localTime, test, type AuditPage, type Call, type PageAnswer } from './support/fixtures';

const ZONE = 'Europe/Berlin';

function today(zone = ZONE): string {
  return localTime(new Date().toISOString(), zone).slice(0, 10);
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * The Time zone option for a zone. The list is the browser's (Intl.supportedValuesOf), which in
 * Chromium names some zones by their older IANA links: Asia/Katmandu for Asia/Kathmandu.
 */
async function zoneOption(audit: AuditPage, zone: RegExp): Promise<string> {
  const values = await audit.timeZone.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
  const value = values.find((v) => zone.test(v));
  if (value === undefined) throw new Error(`no Time zone option matches ${String(zone)}`);
  return value;
}

const KATHMANDU = /^Asia\/Kath?mandu$/;

/** The query string without the `?`, as the page writes it. */
function search(audit: AuditPage): string {
  return new URL(audit.page.url()).search.replace(/^\?/, '');
}

test('Timeframe: each option sends one request for its window and is written in the URL', async ({ audit }) => {
  await audit.open();
  await audit.signIn();
  const base = { timeZone: ZONE, includeInternal: true };

  const cases = [
    { choice: 'week', filter: { ...base, timeframe: 'WEEK' }, interval: 'DAY' },
    { choice: 'quarter', filter: { ...base, timeframe: 'QUARTER' }, interval: 'WEEK' },
    { choice: 'year', filter: { ...base, timeframe: 'YEAR' }, interval: 'MONTH' },
  ] as const;
  for (const { choice, filter, interval } of cases) {
    const { call } = await audit.change(() => audit.timeframe.selectOption(choice));
    expect(call.variables).toEqual({ filter, interval, first: 50 });
    expect(search(audit)).toBe(`timeframe=${choice}&tz=${ZONE}`);
  }

  // Custom starts from the days on screen: the year's.
  const from = await audit.from.inputValue();
  const to = await audit.to.inputValue();
  expect(to).toBe(today());
  expect(from).toBe(addDays(`${String(Number(to.slice(0, 4)) - 1)}${to.slice(4)}`, 1));
  const { call: custom } = await audit.change(() => audit.timeframe.selectOption('custom'));
  expect(custom.variables).toEqual({ filter: { ...base, startDate: from, endDate: to }, interval: 'MONTH', first: 50 });
  expect(search(audit)).toBe(`timeframe=custom&from=${from}&to=${to}&tz=${ZONE}`);

  // Back to a timeframe: it keeps the chosen end as its anchor.
  const { call: month } = await audit.change(() => audit.timeframe.selectOption('month'));
  expect(month.variables).toEqual({ filter: { ...base, timeframe: 'MONTH', endDate: to }, interval: 'DAY', first: 50 });
  expect(search(audit)).toBe(`timeframe=month&to=${to}&tz=${ZONE}`);
  await expect(audit.timeframe).toHaveValue('month');
});

test('From and To: a date picks Custom; typing a date is one request after the pause', async ({ audit, page }) => {
  await audit.open();
  await audit.signIn();
  const end = today();
  const start = addDays(end, -20);

  // From on a timeframe makes the window custom, ending where it ended.
  const { call: from } = await audit.change(() => audit.from.fill(start));
  expect(from.variables.filter).toEqual({ timeZone: ZONE, includeInternal: true, startDate: start, endDate: end });
  expect(search(audit)).toBe(`timeframe=custom&from=${start}&to=${end}&tz=${ZONE}`);
  await expect(audit.timeframe).toHaveValue('custom');

  // To, typed digit by digit in the date field (month, day, year in en-US): many changes, one request.
  const newEnd = addDays(end, -5);
  const [year, month, day] = newEnd.split('-');
  const { call: to } = await audit.change(async () => {
    await audit.to.focus();
    await page.keyboard.type(`${month ?? ''}${day ?? ''}${year ?? ''}`, { delay: 20 });
  });
  await expect(audit.to).toHaveValue(newEnd);
  expect(to.variables.filter).toEqual({ timeZone: ZONE, includeInternal: true, startDate: start, endDate: newEnd });
  expect(search(audit)).toBe(`timeframe=custom&from=${start}&to=${newEnd}&tz=${ZONE}`);

  // A first day after the last one moves the last one to it.
  const later = addDays(newEnd, 2);
  const { call: past } = await audit.change(() => audit.from.fill(later));
  expect(past.variables.filter).toMatchObject({ startDate: later, endDate: later });
  await expect(audit.to).toHaveValue(later);
  expect(past.variables.interval).toBe('HOUR');
});

test('Users, Actions, Entity types, Include internal users, Time zone, Interval; reload, back and forward', async ({ audit, page }) => {
  await audit.open();
  const { data } = await audit.signIn();
  const facets = data.activityFacets;
  const people = facets.users.filter((u) => u.user !== null && !u.user.isInternal);
  const [first, second] = people;
  const action = facets.actions[0]?.value;
  const type = facets.objectTypes[0]?.value;
  if (first === undefined || second === undefined || action === undefined || type === undefined) throw new Error('the demo has facets');

  const steps: { call: Call; search: string }[] = [];
  const step = async (change: () => Promise<unknown>, expected: Record<string, unknown>, inUrl: string): Promise<void> => {
    const { call } = await audit.change(change);
    expect(call.variables).toMatchObject(expected);
    expect(search(audit)).toContain(inUrl);
    steps.push({ call, search: search(audit) });
  };

  // Two users chosen with the mouse in quick succession (Ctrl for the second): one request.
  await step(
    async () => {
      await audit.picker('Users').locator(`option[value="${first.userId}"]`).click();
      await audit.picker('Users').locator(`option[value="${second.userId}"]`).click({ modifiers: ['Control'] });
    },
    { filter: { users: [first.userId, second.userId] } },
    `users=${first.userId}&users=${second.userId}`,
  );
  await expect(page.getByRole('list', { name: 'Chosen users' }).getByRole('button')).toHaveCount(2);
  await step(() => audit.picker('Actions').selectOption(action), { filter: { actions: [action] } }, `actions=${encodeURIComponent(action)}`);
  await step(() => audit.picker('Entity types').selectOption(type), { filter: { objectTypes: [type] } }, `types=${encodeURIComponent(type)}`);
  // Removing a chosen user (its chip) is a change too.
  await step(
    () => page.getByRole('button', { name: `Remove ${second.user?.name ?? ''}` }).click(),
    { filter: { users: [first.userId] } },
    `users=${first.userId}&actions`,
  );
  await step(() => audit.internal.uncheck(), { filter: { includeInternal: false } }, 'internal=0');
  const kathmandu = await zoneOption(audit, KATHMANDU);
  await step(() => audit.timeZone.selectOption(kathmandu), { filter: { timeZone: kathmandu } }, `tz=${kathmandu}`);
  await step(() => audit.interval.selectOption('week'), { interval: 'WEEK' }, 'interval=week');

  const last = steps.at(-1);
  if (last === undefined) throw new Error('unreachable');
  expect(last.call.variables).toEqual({
    filter: {
      timeZone: kathmandu,
      includeInternal: false,
      timeframe: 'MONTH',
      users: [first.userId],
      actions: [action],
      objectTypes: [type],
    },
    interval: 'WEEK',
    first: 50,
  });

  // Back and forward walk through the filters, each once more one request.
  for (const index of [steps.length - 2, steps.length - 3]) {
    const { call } = await audit.change(() => page.goBack());
    expect(call.variables).toEqual(steps[index]?.call.variables);
    expect(search(audit)).toBe(steps[index]?.search);
  }
  await expect(audit.timeZone).toHaveValue(ZONE);
  await expect(audit.interval).toHaveValue('auto');
  await expect(audit.internal).not.toBeChecked();
  for (const index of [steps.length - 2, steps.length - 1]) {
    const { call } = await audit.change(() => page.goForward());
    expect(call.variables).toEqual(steps[index]?.call.variables);
    expect(search(audit)).toBe(steps[index]?.search);
  }
  await expect(audit.interval).toHaveValue('week');

  // A reload (the tab keeps the token) reproduces the view: the same request, the same controls.
  const { call: reloaded } = await audit.change(() => page.reload());
  expect(reloaded.variables).toEqual(last.call.variables);
  expect(search(audit)).toBe(last.search);
  await expect(audit.timeZone).toHaveValue(kathmandu);
  await expect(audit.picker('Actions')).toHaveValues([action]);
  await expect(audit.picker('Entity types')).toHaveValues([type]);
  await expect(audit.picker('Users')).toHaveValues([first.userId]);

  // And the link opened in a fresh tab (signed in there too) asks for the same.
  const other = await page.context().newPage();
  const sent = other.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/graphql'));
  await other.goto(`/?${last.search}`);
  await other.getByLabel('API token').fill(audit.gateway.token);
  await other.getByRole('button', { name: 'Sign in' }).click();
  expect((await sent).postDataJSON()).toMatchObject({ variables: last.call.variables });
  await other.close();
});

test('Time zone: the request’s zone follows and the Time column shows issuedAt in it', async ({ audit, page }) => {
  await audit.open();
  const { data: berlin } = await audit.signIn();
  expect(await audit.logRows()).toEqual(expectedRows(berlin.activityConnection, ZONE));

  const check = async (zone: string, data: DashboardQuery, call: Call): Promise<void> => {
    expect(call.variables.filter).toEqual({ timeZone: zone, includeInternal: true, timeframe: 'MONTH' });
    expect(search(audit)).toBe(`timeframe=month&tz=${zone}`);
    const rows = await audit.logRows();
    const edges = data.activityConnection.edges;
    expect(rows.map((r) => r[0])).toEqual(edges.map((e) => localTime(e.node.transaction.issuedAt, zone)));
    // Not UTC nor Berlin by accident: Kathmandu is +05:45, New York -05:00 in December (-04:00 in summer).
    const firstEdge = edges[0];
    if (firstEdge === undefined) throw new Error('the month has actions');
    const iso = firstEdge.node.transaction.issuedAt;
    expect(rows[0]?.[0]).not.toBe(localTime(iso, 'UTC'));
    expect(rows[0]?.[0]).not.toBe(localTime(iso, ZONE));
    // And the rows are the API's for that zone's month.
    const api = await graphql<PageAnswer>(audit.gateway.origin, audit.gateway.token, PAGE_QUERY, { filter: call.variables.filter, first: 50 });
    expect(rows).toEqual(expectedRows(api.activityConnection, zone));
  };

  for (const zone of [await zoneOption(audit, KATHMANDU), 'America/New_York']) {
    const { call, data } = await audit.change(() => audit.timeZone.selectOption(zone));
    await check(zone, data, call);
  }
  // A link with the zone's current IANA name keeps that name (the API knows both).
  const { call, data } = await audit.change(() => page.goto('/?timeframe=month&tz=Asia/Kathmandu'));
  await expect(audit.timeZone).toHaveValue('Asia/Kathmandu');
  await check('Asia/Kathmandu', data, call);
});

test('clicking a user in the log filters by that user', async ({ audit, page }) => {
  await audit.open();
  const { data } = await audit.signIn();
  const edge = data.activityConnection.edges.find((e) => e.node.transaction.user !== null);
  const user = edge?.node.transaction.user;
  if (user == null) throw new Error('the log shows a user');

  const { call, data: filtered } = await audit.change(() => audit.logTable.getByRole('button', { name: user.name, exact: true }).first().click());
  expect(call.variables.filter).toEqual({ timeZone: ZONE, includeInternal: true, timeframe: 'MONTH', users: [user.id] });
  expect(search(audit)).toBe(`timeframe=month&tz=${ZONE}&users=${user.id}`);
  await expect(page.getByRole('button', { name: `Remove ${user.isInternal ? `${user.name} (system)` : user.name}` })).toBeVisible();
  const names = new Set(filtered.activityConnection.edges.map((e) => e.node.transaction.user?.name));
  expect([...names]).toEqual([user.name]);
  expect((await audit.logRows()).every((row) => row[1] === user.name)).toBe(true);
});

test('clicking a chart bucket narrows the window to it: in the chart’s table and on the canvas', async ({ audit, page }) => {
  await audit.open();
  // A quarter: buckets of a week, so a bucket has different first and last days.
  await audit.signIn();
  const { data } = await audit.change(() => audit.timeframe.selectOption('quarter'));
  const buckets = data.activityInsights.chart;
  const bucket = buckets[buckets.length - 3];
  if (bucket === undefined) throw new Error('the quarter has buckets');
  expect(bucket.firstDay).not.toBe(bucket.lastDay);

  await audit.openChartData();
  const { call } = await audit.change(() =>
    page
      .getByRole('table', { name: 'Chart data' })
      .getByRole('button', { name: `${bucket.firstDay} to ${bucket.lastDay}`, exact: true })
      .click(),
  );
  expect(call.variables).toEqual({
    filter: { timeZone: ZONE, includeInternal: true, startDate: bucket.firstDay, endDate: bucket.lastDay },
    interval: 'DAY',
    first: 50,
  });
  expect(search(audit)).toBe(`timeframe=custom&from=${bucket.firstDay}&to=${bucket.lastDay}&tz=${ZONE}`);
  await expect(audit.timeframe).toHaveValue('custom');
  await expect(audit.from).toHaveValue(bucket.firstDay);
  await expect(audit.to).toHaveValue(bucket.lastDay);

  // On the canvas: a click in the middle of the plot picks the bucket under the pointer.
  const { data: week } = await audit.change(() => page.goBack());
  const plot = page.locator('.chart-canvas .u-over');
  const box = await plot.boundingBox();
  if (box === null) throw new Error('the chart is drawn');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const { call: clicked } = await audit.change(() => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2));
  const chosen = week.activityInsights.chart.find(
    (b) => b.firstDay === clicked.variables.filter.startDate && b.lastDay === clicked.variables.filter.endDate,
  );
  expect(chosen, `a bucket of the quarter: ${JSON.stringify(clicked.variables.filter)}`).toBeDefined();
  expect(clicked.variables.filter.timeframe).toBeUndefined();
  await expect(audit.timeframe).toHaveValue('custom');
});
