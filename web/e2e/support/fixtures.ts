// The suite's fixtures:
// - `gateway` (one per worker): the demo on SQLite, started and stopped around the worker's tests;
// - `audit`: the page under test with every POST /graphql it sends recorded, and helpers to sign
//   in, wait for the dashboard, read the cards, the chart's table and the log, and make a change
//   that must send exactly one request;
// - an automatic guard, in every test: no request to any origin but the gateway's (nor one the
//   page's Content-Security-Policy had to block), no uncaught error in the page.

import fs from 'node:fs';
import path from 'node:path';
import { test as base, expect, type BrowserContext, type Locator, type Page, type Request } from '@playwright/test';
import type { ActivityLogPageQuery, DashboardQuery } from '../../src/generated/graphql';
import { WEB_DIR, startDemo, type Gateway } from './gateway';

/** What the page waits for after a picker or date change before it sends (src/session.ts). */
export const SETTLE_MS = 400;

export type Operation = 'Dashboard' | 'ActivityLogPage';

export interface Variables {
  filter: Record<string, unknown>;
  [key: string]: unknown;
}

/** One POST /graphql the page sent. */
export interface Call {
  operation: string;
  query: string;
  variables: Variables;
  /** Everything else in the body (a persisted-query extension, an operationName…). */
  extra: string[];
  request: Request;
}

export interface Answered<T> {
  call: Call;
  status: number;
  data: T;
  /** The whole answer, errors included. */
  body: unknown;
}

function isGraphQLPost(request: Request): boolean {
  return request.method() === 'POST' && new URL(request.url()).pathname === '/graphql';
}

function parseCall(request: Request): Call {
  const body = request.postDataJSON() as { query?: unknown; variables?: unknown } & Record<string, unknown>;
  const query = typeof body.query === 'string' ? body.query : '';
  return {
    operation: /\bquery\s+(\w+)/.exec(query)?.[1] ?? '(none)',
    query,
    variables: (body.variables ?? {}) as Variables,
    extra: Object.keys(body).filter((k) => k !== 'query' && k !== 'variables'),
    request,
  };
}

export interface CardFigures {
  uniqueActors: string;
  totalActions: string;
  topActor: string;
  topActorDetail: string;
  topType: string;
  topTypeDetail: string;
}

export interface ChartRow {
  bucket: string;
  user: number;
  system: number;
}

const count = (text: string): number => Number(text.replace(/,/g, ''));

export class AuditPage {
  readonly calls: Call[] = [];

  constructor(
    readonly page: Page,
    readonly gateway: Gateway,
  ) {
    page.on('request', (request) => {
      if (isGraphQLPost(request)) this.calls.push(parseCall(request));
    });
  }

  get tokenField(): Locator {
    return this.page.getByLabel('API token');
  }
  get signInButton(): Locator {
    return this.page.getByRole('button', { name: 'Sign in' });
  }
  get timeframe(): Locator {
    return this.page.getByRole('combobox', { name: 'Timeframe' });
  }
  get from(): Locator {
    return this.page.getByLabel('From', { exact: true });
  }
  get to(): Locator {
    return this.page.getByLabel('To', { exact: true });
  }
  get timeZone(): Locator {
    return this.page.getByRole('combobox', { name: 'Time zone' });
  }
  get interval(): Locator {
    return this.page.getByRole('combobox', { name: 'Interval' });
  }
  get pageSize(): Locator {
    return this.page.getByRole('combobox', { name: 'Page size' });
  }
  get internal(): Locator {
    return this.page.getByRole('checkbox', { name: 'Include internal users' });
  }
  picker(name: 'Users' | 'Actions' | 'Entity types'): Locator {
    return this.page.getByRole('listbox', { name, exact: true });
  }
  get chart(): Locator {
    return this.page.getByRole('img', { name: /^Activity chart/ });
  }
  get logTable(): Locator {
    return this.page.getByRole('table', { name: 'Activity log' });
  }
  get logTotal(): Locator {
    return this.page.locator('.log-total');
  }
  get next(): Locator {
    return this.page.getByRole('button', { name: 'Next', exact: true });
  }
  get previous(): Locator {
    return this.page.getByRole('button', { name: 'Previous', exact: true });
  }
  get banner(): Locator {
    return this.page.getByRole('alert');
  }
  card(name: 'Unique actors' | 'Total actions' | 'Top actor' | 'Top entity type'): Locator {
    return this.page.getByRole('region', { name, exact: true });
  }

  /** The page (signed out unless the tab holds a token), with a query string if given. */
  async open(search = ''): Promise<void> {
    await this.page.goto(`/${search}`);
  }

  /** Types the token, presses "Sign in", and waits for the dashboard the one request draws. */
  async signIn(token = this.gateway.token): Promise<Answered<DashboardQuery>> {
    await this.tokenField.fill(token);
    return this.expectOneCall(() => this.signInButton.click(), 'Dashboard');
  }

  /** The page is not waiting for an answer. */
  async idle(): Promise<void> {
    await expect(this.page.locator('main#main')).not.toHaveAttribute('aria-busy', 'true');
  }

  /** Cards, chart and table are drawn (not their loading placeholders). */
  async expectDrawn(): Promise<void> {
    for (const name of ['Unique actors', 'Total actions', 'Top actor', 'Top entity type'] as const) {
      await expect(this.card(name).locator('.figure').first()).not.toHaveText('…');
    }
    await expect(this.chart).toHaveAttribute('aria-label', /^Activity chart: [\d,]+ actions? by \w+ from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d$/);
    await expect(this.chart.locator('canvas').first()).toBeVisible();
    await expect(this.logTable.locator('tbody tr').first()).not.toHaveText('Loading…');
    await expect(this.logTotal).toHaveText(/^[\d,]+ actions?$/);
  }

  /**
   * Runs `action`, which must make the page send exactly one POST /graphql of `operation`:
   * waits for it and its answer, for the page to draw it, then for longer than the page's
   * settling pause, and checks that no other request followed.
   */
  async expectOneCall<T = DashboardQuery>(action: () => Promise<unknown>, operation: Operation): Promise<Answered<T>> {
    const before = this.calls.length;
    const sent = this.page.waitForRequest(isGraphQLPost, { timeout: 10_000 });
    await action();
    const request = await sent;
    const response = await request.response();
    if (response === null) throw new Error('POST /graphql got no answer');
    const body = (await response.json()) as { data?: T };
    await this.idle();
    await this.page.waitForTimeout(SETTLE_MS + 150);
    const calls = this.calls.slice(before);
    expect(
      calls.map((c) => `${c.operation} ${JSON.stringify(c.variables)}`),
      `exactly one POST /graphql (${operation})`,
    ).toHaveLength(1);
    const call = calls[0];
    if (call === undefined) throw new Error('unreachable');
    expect(call.operation).toBe(operation);
    expect(call.extra, 'the body is { query, variables }: no persisted query, nothing else').toEqual([]);
    if (response.status() === 200 && body.data === undefined) throw new Error(`no data: ${JSON.stringify(body)}`);
    return { call, status: response.status(), data: body.data as T, body };
  }

  /** A filter change: one Dashboard request, and the dashboard drawn for it. */
  async change(action: () => Promise<unknown>): Promise<Answered<DashboardQuery>> {
    const answered = await this.expectOneCall(action, 'Dashboard');
    expect(answered.status, `${JSON.stringify(answered.call.variables)} → ${JSON.stringify(answered.body)}`).toBe(200);
    await this.expectDrawn();
    return answered;
  }

  /** Paging: one ActivityLogPage request. */
  async logPage(action: () => Promise<unknown>): Promise<Answered<ActivityLogPageQuery>> {
    const answered = await this.expectOneCall<ActivityLogPageQuery>(action, 'ActivityLogPage');
    expect(answered.status, `${JSON.stringify(answered.call.variables)} → ${JSON.stringify(answered.body)}`).toBe(200);
    return answered;
  }

  async cards(): Promise<CardFigures> {
    const text = (name: Parameters<AuditPage['card']>[0], selector: string): Promise<string> =>
      this.card(name).locator(selector).first().innerText();
    return {
      uniqueActors: await text('Unique actors', '.figure'),
      totalActions: await text('Total actions', '.figure'),
      topActor: await text('Top actor', '.figure'),
      topActorDetail: await this.card('Top actor').locator('.figure-detail').innerText().catch(() => ''),
      topType: await text('Top entity type', '.figure'),
      topTypeDetail: await this.card('Top entity type').locator('.figure-detail').innerText().catch(() => ''),
    };
  }

  /** Opens "Chart data" (the chart's table alternative) and reads its rows. */
  async chartRows(): Promise<ChartRow[]> {
    await this.openChartData();
    const rows = await this.page.getByRole('table', { name: 'Chart data' }).locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.children, (cell) => cell.textContent.trim())),
    );
    return rows.map(([bucket = '', user = '', system = '']) => ({ bucket, user: count(user), system: count(system) }));
  }

  async openChartData(): Promise<void> {
    const details = this.page.locator('details.chart-data');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) {
      await details.locator('summary').click();
    }
    await expect(this.page.getByRole('table', { name: 'Chart data' })).toBeVisible();
  }

  /** The log's rows: time, user, action, entity type, entity id, as the page shows them. */
  async logRows(): Promise<string[][]> {
    return this.logTable.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from(tr.children, (cell) => (cell.querySelector('button') ?? cell).textContent.replace(/\s+/g, ' ').trim()),
      ),
    );
  }
}

/**
 * With E2E_PAGE_FROM_DIST=1 the page's script and styles come from web/dist/ instead of the
 * binary's embedded copy: a way to try a change of the page before the binary is rebuilt with
 * it. CI leaves it unset and tests what the binary serves.
 */
export async function servePageFromDist(context: BrowserContext): Promise<void> {
  if (process.env.E2E_PAGE_FROM_DIST !== '1') return;
  for (const [name, contentType] of [
    ['app.js', 'text/javascript'],
    ['app.css', 'text/css'],
  ] as const) {
    await context.route(`**/assets/${name}`, (route) =>
      route.fulfill({ status: 200, contentType, body: fs.readFileSync(path.join(WEB_DIR, 'dist', 'assets', name)) }),
    );
  }
}

export const test = base.extend<{ audit: AuditPage; guard: undefined }, { gateway: Gateway }>({
  gateway: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a fixture uses from this pattern
    async ({}, use) => {
      const gateway = await startDemo();
      await use(gateway);
      await gateway.stop();
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  context: async ({ context }, use) => {
    await servePageFromDist(context);
    await use(context);
  },
  baseURL: async ({ gateway }, use) => {
    await use(gateway.origin);
  },
  audit: async ({ page, gateway }, use) => {
    await use(new AuditPage(page, gateway));
  },
  guard: [
    async ({ context, page, baseURL }, use) => {
      const origin = new URL(baseURL ?? 'http://invalid').origin;
      const foreign: string[] = [];
      const errors: string[] = [];
      context.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol === 'data:') return;
        if (url.origin !== origin) foreign.push(`${request.method()} ${request.url()}`);
      });
      // A request the page's Content-Security-Policy blocks never leaves, and so is no request
      // event: the attempt is caught by the violation Chromium reports in the console.
      context.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) foreign.push(`blocked by the CSP: ${message.text()}`);
      });
      page.on('pageerror', (error) => {
        errors.push(error.stack ?? error.message);
      });
      await use(undefined);
      expect(foreign, `requests to another origin than ${origin}`).toEqual([]);
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** POST a GraphQL document to the gateway from the test, as the page would. */
export async function graphql<T>(origin: string, token: string, query: string, variables: unknown): Promise<T> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (response.status !== 200 || body.data === undefined || body.errors !== undefined) {
    throw new Error(`POST /graphql answered ${String(response.status)}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

/** The test's own queries, written apart from the page's documents. */
export const CARDS_QUERY = `query Cards($filter: ActivityFilter!) {
  activityInsights(filter: $filter) {
    uniqueActors totalActions
    topActor { id name actionCount }
    topEntityType { objectType count }
  }
}`;

export interface CardsAnswer {
  activityInsights: {
    uniqueActors: number;
    totalActions: number;
    topActor: { id: string; name: string; actionCount: number } | null;
    topEntityType: { objectType: string; count: number } | null;
  };
}

export const PAGE_QUERY = `query Page($filter: ActivityFilter!, $first: Int, $after: String, $last: Int, $before: String) {
  activityConnection(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id verb objectType objectId transaction { issuedAt user { id name } } } }
  }
}`;

export interface PageAnswer {
  activityConnection: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: {
      node: {
        id: string;
        verb: string;
        objectType: string;
        objectId: string | null;
        transaction: { issuedAt: string; user: { id: string; name: string } | null };
      };
    }[];
  };
}

/** An instant as the page should show it: YYYY-MM-DD HH:MM:SS in `timeZone` (computed here, apart from the page). */
export function localTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '?';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** The rows the log should show for an API page, in `timeZone`. */
export function expectedRows(page: PageAnswer['activityConnection'], timeZone: string): string[][] {
  return page.edges.map(({ node }) => [
    localTime(node.transaction.issuedAt, timeZone),
    node.transaction.user?.name ?? 'deleted user',
    node.verb,
    node.objectType,
    node.objectId ?? '—',
  ]);
}

/** "1,234" as the page writes counts. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}
