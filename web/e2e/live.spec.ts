// "Live": the log follows the activityEvents subscription over a WebSocket at the page's origin.
// Rows written while the page is open (`audit-gateway seed`, which appends to the demo's file)
// come to the top of the log, marked new; turning Live off closes the socket; a filter change
// subscribes again, from now, with the new scope.

import type { Page, WebSocket } from '@playwright/test';
import { appendActivities } from './support/gateway';
import { expect, localTime, test } from './support/fixtures';

interface Frame {
  id?: string;
  type: string;
  payload?: {
    variables?: { filter?: unknown; after?: unknown };
    data?: {
      activityEvents?: {
        cursor: string;
        node: { verb: string; objectType: string; objectId: string | null; transaction: { issuedAt: string; user: { name: string } | null } };
      };
    };
  };
}

/** Every WebSocket the page opens, with the frames each way, parsed. */
function recordSockets(page: Page): { socket: WebSocket; sent: Frame[]; received: Frame[]; closed: boolean }[] {
  const sockets: { socket: WebSocket; sent: Frame[]; received: Frame[]; closed: boolean }[] = [];
  page.on('websocket', (socket) => {
    const record = { socket, sent: [] as Frame[], received: [] as Frame[], closed: false };
    sockets.push(record);
    socket.on('framesent', ({ payload }) => record.sent.push(JSON.parse(String(payload)) as Frame));
    socket.on('framereceived', ({ payload }) => record.received.push(JSON.parse(String(payload)) as Frame));
    socket.on('close', () => {
      record.closed = true;
    });
  });
  return sockets;
}

const TZ = 'Europe/Berlin';

test('Live: rows written meanwhile come to the top, marked new; off closes the feed', async ({ audit, page, gateway }) => {
  const sockets = recordSockets(page);
  await audit.open();
  await audit.signIn();
  await audit.expectDrawn();
  const live = page.getByRole('button', { name: 'Live', exact: true });
  const status = page.locator('.live-status');
  const newRows = audit.logTable.locator('tbody tr.log-row-new');
  await expect(live).toHaveAttribute('aria-pressed', 'false');
  const before = await audit.logRows();
  const total = await audit.logTotal.textContent();
  const calls = audit.calls.length;

  await live.click();
  await expect(live).toHaveAttribute('aria-pressed', 'true');
  await expect(status).toHaveText('Live');
  expect(sockets).toHaveLength(1);
  const feed = sockets[0];
  if (feed === undefined) throw new Error('unreachable');
  expect(feed.socket.url()).toBe(`${gateway.origin.replace('http:', 'ws:')}/graphql`);
  expect(feed.sent[0]).toEqual({ type: 'connection_init', payload: { Authorization: `Bearer ${gateway.token}` } });
  // The default filter's scope only (internal users included), from now.
  expect(feed.sent.find((f) => f.type === 'subscribe')?.payload?.variables).toEqual({ filter: { includeInternal: true }, after: null });

  await appendActivities(gateway, 3, 101);
  await expect(newRows).toHaveCount(3, { timeout: 5000 });
  await expect(page.locator('.live-count')).toHaveText('3 new');
  // Newest first, above the page's rows, each badged "new".
  const arrived = feed.received.flatMap((f) => (f.type === 'next' && f.payload?.data?.activityEvents ? [f.payload.data.activityEvents.node] : []));
  expect(arrived).toHaveLength(3);
  const expected = arrived
    .reverse()
    .map((node) => [`${localTime(node.transaction.issuedAt, TZ)} new`, node.transaction.user?.name ?? 'deleted user', node.verb, node.objectType, node.objectId ?? '—']);
  const rows = await audit.logRows();
  expect(rows.slice(0, 3)).toEqual(expected);
  expect(rows.slice(3, 3 + before.length)).toEqual(before.slice(0, rows.length - 3));
  await expect(newRows.locator('.badge-new')).toHaveCount(3);
  await expect(audit.logTable.locator('tbody tr').nth(3)).not.toHaveClass(/log-row-new/);
  // Live asks nothing of POST /graphql, and the total is still the query's.
  expect(audit.calls.length).toBe(calls);
  await expect(audit.logTotal).toHaveText(total ?? '');

  await live.click();
  await expect(live).toHaveAttribute('aria-pressed', 'false');
  await expect(status).toHaveText('');
  await expect.poll(() => feed.closed).toBe(true);
  // Rows written after it is off do not come (the gateway reads new rows every 500 ms at most).
  await appendActivities(gateway, 2, 102);
  await page.waitForTimeout(1500);
  await expect(newRows).toHaveCount(3);
  expect(sockets).toHaveLength(1);
});

test('Live: a filter change subscribes again, from now, with the new scope', async ({ audit, page, gateway }) => {
  const sockets = recordSockets(page);
  await audit.open();
  await audit.signIn();
  const live = page.getByRole('button', { name: 'Live', exact: true });
  // The keyboard turns it on, like any button.
  await live.focus();
  await page.keyboard.press('Space');
  await expect(page.locator('.live-status')).toHaveText('Live');
  await appendActivities(gateway, 2, 103);
  await expect(audit.logTable.locator('tbody tr.log-row-new')).toHaveCount(2, { timeout: 5000 });

  const { call } = await audit.change(() => audit.internal.uncheck());
  expect(call.variables.filter).toMatchObject({ includeInternal: false });
  await expect(page.locator('.live-status')).toHaveText('Live');
  expect(sockets).toHaveLength(2);
  await expect.poll(() => sockets[0]?.closed).toBe(true);
  const subscribe = sockets[1]?.sent.find((f) => f.type === 'subscribe');
  expect(subscribe?.payload?.variables).toEqual({ filter: { includeInternal: false }, after: null });
  // The new dashboard shows everything up to now: the feed's rows start again from none.
  await expect(audit.logTable.locator('tbody tr.log-row-new')).toHaveCount(0);
  await expect(page.locator('.live-count')).toHaveText('');
  await live.click();
  await expect(live).toHaveAttribute('aria-pressed', 'false');
});
