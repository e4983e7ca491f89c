// The log's pages: Next and Previous fetch only the connection (ActivityLogPage), the rows are the
// API's pages for the same filter, and the page size is the request's `first`.

import { PAGE_QUERY, expect, expectedRows, graphql, test, type PageAnswer } from './support/fixtures';

const ZONE = 'Europe/Berlin';

test('Next and Previous fetch only the log, the API’s pages; the page size changes `first`', async ({ audit }) => {
  await audit.open();
  const { call, data } = await audit.signIn();
  const filter = call.variables.filter;
  const api = async (variables: Record<string, unknown>): Promise<PageAnswer['activityConnection']> =>
    (await graphql<PageAnswer>(audit.gateway.origin, audit.gateway.token, PAGE_QUERY, { filter, ...variables })).activityConnection;
  const url = audit.page.url();
  const cards = await audit.cards();

  const first = await api({ first: 50 });
  expect(first.pageInfo.hasNextPage).toBe(true);
  expect(await audit.logRows()).toEqual(expectedRows(first, ZONE));
  await expect(audit.previous).toHaveAttribute('aria-disabled', 'true');
  await expect(audit.next).toHaveAttribute('aria-disabled', 'false');

  // Next: the connection alone, after the first page's last cursor.
  const { call: next, data: shown } = await audit.logPage(() => audit.next.click());
  expect(next.query).not.toContain('activityInsights');
  expect(next.query).not.toContain('activityFacets');
  expect(next.variables).toEqual({ filter, first: 50, after: data.activityConnection.pageInfo.endCursor });
  const second = await api({ first: 50, after: first.pageInfo.endCursor });
  expect(shown.activityConnection.edges.map((e) => e.node.id)).toEqual(second.edges.map((e) => e.node.id));
  const secondRows = await audit.logRows();
  expect(secondRows).toEqual(expectedRows(second, ZONE));
  expect(secondRows).not.toEqual(expectedRows(first, ZONE));
  expect(second.edges[0]?.node.id).not.toBe(first.edges[0]?.node.id);
  await expect(audit.logTotal).toHaveText(/^[\d,]+ actions$/);
  await expect(audit.previous).toHaveAttribute('aria-disabled', 'false');
  // Paging is not a filter change: the cards, and the URL, stay.
  expect(await audit.cards()).toEqual(cards);
  expect(audit.page.url()).toBe(url);

  // Previous: back to the first page, before the second page's first cursor.
  const { call: previous } = await audit.logPage(() => audit.previous.click());
  expect(previous.variables).toEqual({ filter, last: 50, before: shown.activityConnection.pageInfo.startCursor });
  expect(await audit.logRows()).toEqual(expectedRows(first, ZONE));
  await expect(audit.previous).toHaveAttribute('aria-disabled', 'true');

  // The page size: the first page again, with `first` of that size.
  for (const size of [25, 100, 50]) {
    const { call: sized } = await audit.logPage(() => audit.pageSize.selectOption(String(size)));
    expect(sized.variables).toEqual({ filter, first: size });
    await expect(audit.logTable.locator('tbody tr')).toHaveCount(size);
    expect(await audit.logRows()).toEqual(expectedRows(await api({ first: size }), ZONE));
  }
  // The next page after a size change keeps that size.
  await audit.logPage(() => audit.pageSize.selectOption('25'));
  const { call: next25 } = await audit.logPage(() => audit.next.click());
  expect(next25.variables).toMatchObject({ first: 25 });
  await expect(audit.logTable.locator('tbody tr')).toHaveCount(25);
  expect(audit.page.url()).toBe(url);
});
