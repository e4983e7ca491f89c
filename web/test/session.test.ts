// "One filter change = exactly one request", checked against src/session.ts with a stand-in for
// the browser's window and fetch.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DashboardQuery, LogPageFragment } from '../src/generated/graphql';
import { defaultFilter } from '../src/lib/filter';
import { AuditSession, SETTLE_MS, type AuthProblem, type ViewState } from '../src/session';

const ZONE = 'Europe/Berlin';

const log: LogPageFragment = {
  totalCount: 0,
  pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 's0', endCursor: 'e0' },
  edges: [],
};
const dashboard: DashboardQuery = {
  activityInsights: { uniqueActors: 0, totalActions: 0, topActor: null, topEntityType: null, chart: [] },
  activityFacets: { users: [], actions: [], objectTypes: [] },
  activityConnection: log,
};

interface Sent {
  operation: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
}

let sent: Sent[];
let status: number;
let listeners: Set<() => void>;
let pushed: string[];
let location: { search: string };

function fakeWindow(search: string): void {
  listeners = new Set();
  pushed = [];
  location = { search };
  vi.stubGlobal('window', {
    location,
    history: {
      pushState: (_state: unknown, _title: string, url: string) => {
        pushed.push(url);
        location.search = url;
      },
    },
    addEventListener: (_type: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_type: string, listener: () => void) => listeners.delete(listener),
  });
}

// Lets the stand-in fetch answer and the session apply it: a macrotask through a message port,
// since the timers are fake.
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  sent = [];
  status = 200;
  fakeWindow('?timeframe=week&tz=Europe/Berlin');
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    expect(url).toBe('/graphql');
    const body = JSON.parse(init.body as string) as { query: string; variables: Record<string, unknown> };
    sent.push({
      operation: /query (\w+)/.exec(body.query)?.[1] ?? '?',
      variables: body.variables,
      headers: init.headers as Record<string, string>,
    });
    const data = body.query.startsWith('query Dashboard') ? dashboard : { activityConnection: log };
    const payload =
      status === 200 ? { data } : { errors: [{ message: 'no', extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'X' } }] };
    return Promise.resolve(new Response(JSON.stringify(payload), { status }));
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function open(onAuth: (kind: AuthProblem) => void = () => undefined): { session: AuditSession; states: ViewState[] } {
  const states: ViewState[] = [];
  const session = new AuditSession('agw_token', ZONE, (s) => states.push(s), onAuth);
  session.start();
  return { session, states };
}

describe('the requests of the page', () => {
  it('loads the dashboard once, with the token and the GraphQL-over-HTTP headers', async () => {
    open();
    await flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.operation).toBe('Dashboard');
    expect(sent[0]?.headers).toEqual({
      Authorization: 'Bearer agw_token',
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    });
    expect(sent[0]?.variables).toMatchObject({ filter: { timeframe: 'WEEK', timeZone: ZONE }, interval: 'DAY', first: 50 });
    expect(pushed).toEqual([]);
  });

  it('sends one request per filter change and pushes it to the URL', async () => {
    const { session } = open();
    await flush();
    session.changeFilter({ ...defaultFilter(ZONE), timeframe: 'year' });
    await flush();
    expect(sent.map((s) => s.operation)).toEqual(['Dashboard', 'Dashboard']);
    expect(pushed).toEqual(['?timeframe=year&tz=Europe/Berlin']);
  });

  it('sends changes that settle once, after the pause', async () => {
    const { session } = open();
    await flush();
    const base = defaultFilter(ZONE);
    session.changeFilter({ ...base, users: ['1'] }, true);
    session.changeFilter({ ...base, users: ['1', '2'] }, true);
    await flush();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(SETTLE_MS);
    await flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.variables).toMatchObject({ filter: { users: ['1', '2'] } });
    expect(pushed).toEqual(['?timeframe=month&tz=Europe/Berlin&users=1&users=2']);
  });

  it('asks for nothing when a change is undone before it settles', async () => {
    const { session } = open();
    await flush();
    const current = session.current.filter;
    session.changeFilter({ ...current, users: ['1'] }, true);
    session.changeFilter(current, true);
    vi.advanceTimersByTime(SETTLE_MS);
    await flush();
    expect(sent).toHaveLength(1);
  });

  it('pages with the log document alone', async () => {
    const { session } = open();
    await flush();
    session.showPage({ kind: 'after', cursor: 'e0' });
    await flush();
    session.changePageSize(100);
    await flush();
    expect(sent.map((s) => s.operation)).toEqual(['Dashboard', 'ActivityLogPage', 'ActivityLogPage']);
    expect(sent[1]?.variables).toMatchObject({ first: 50, after: 'e0' });
    expect(sent[2]?.variables).toMatchObject({ first: 100 });
    expect(sent[2]?.variables).not.toHaveProperty('after');
  });

  it('re-reads the URL on back and forward, with one request and no push', async () => {
    open();
    await flush();
    location.search = '?timeframe=quarter&tz=UTC&internal=0';
    for (const listener of listeners) listener();
    await flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.variables).toMatchObject({ filter: { timeframe: 'QUARTER', timeZone: 'UTC', includeInternal: false } });
    expect(pushed).toEqual([]);
  });

  it('hands a 401 to sign-in and stops', async () => {
    status = 401;
    const auth: AuthProblem[] = [];
    open((kind) => auth.push(kind));
    await flush();
    expect(auth).toEqual(['unauthenticated']);
    expect(listeners.size).toBe(0);
  });

  it('shows a banner with Retry for a 503, and Retry sends the same request again', async () => {
    status = 503;
    const { session, states } = open();
    await flush();
    expect(states.at(-1)?.problem).toEqual({ message: 'The audit log is unavailable at the moment.', retry: true });
    status = 200;
    session.retry();
    await flush();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.variables).toEqual(sent[0]?.variables);
    expect(states.at(-1)?.problem).toBeNull();
  });
});
