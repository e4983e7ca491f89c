import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultFilter } from '../src/lib/filter';
import {
  endingOf,
  LiveFeed,
  liveScope,
  liveUrl,
  MAX_LIVE_ROWS,
  type LiveRow,
  type LiveState,
} from '../src/lib/live';

/** What a client sent on one socket, parsed. */
interface Sent {
  type: string;
  id?: string;
  payload?: Record<string, unknown>;
}

/**
 * A stand-in for the browser's WebSocket, driven by the test as the gateway would drive it:
 * `accept()` answers connection_init, `row()` sends a `next`, `serverClose()` closes with a code.
 */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  readonly sent: Sent[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: true });
  }

  // The gateway's side.
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  accept(): void {
    this.receive({ type: 'connection_ack' });
  }
  row(id: number): void {
    this.receive({ id: this.subscription().id, type: 'next', payload: { data: { activityEvents: edge(id) } } });
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  serverClose(code: number, reason = ''): void {
    this.close(code, reason);
  }
  /** The network goes: an error, then an abnormal close (as Chromium reports it). */
  lose(): void {
    this.onerror?.(new Event('error'));
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code: 1006, reason: '', wasClean: false });
  }
  subscription(): Sent & { payload: { variables: { filter: unknown; after: string | null } } } {
    const subscribe = this.sent.find((m) => m.type === 'subscribe');
    if (subscribe === undefined) throw new Error('no subscribe sent');
    return subscribe as Sent & { payload: { variables: { filter: unknown; after: string | null } } };
  }
}

function edge(id: number): LiveRow {
  return {
    cursor: `cursor-${String(id)}`,
    node: {
      id: String(id),
      verb: 'update',
      objectType: 'Tag',
      objectId: null,
      transaction: { id: `t${String(id)}`, issuedAt: '2026-12-03T10:00:00Z', user: null },
    },
  };
}

/** Lets graphql-ws's promises run (it awaits between opening, init and subscribing). */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

function latest(): FakeSocket {
  const socket = FakeSocket.all.at(-1);
  if (socket === undefined) throw new Error('no socket opened');
  return socket;
}

/** Opens, admits and subscribes the newest socket. */
async function connectLatest(): Promise<FakeSocket> {
  await settle();
  const socket = latest();
  socket.open();
  await settle();
  socket.accept();
  await settle();
  return socket;
}

const SCOPE = liveScope({ ...defaultFilter('Europe/Berlin'), users: ['7'], internal: false });
const RETRY_MS = 1000;

function follow(): { feed: LiveFeed; states: LiveState[] } {
  const states: LiveState[] = [];
  const feed = new LiveFeed({
    url: 'ws://gateway.test/graphql',
    token: 'agw_test',
    scope: SCOPE,
    onChange: (state) => states.push(state),
    webSocketImpl: FakeSocket,
    retryDelay: () => RETRY_MS,
  });
  return { feed, states };
}

const kinds = (states: LiveState[]): string[] =>
  states.map((s) => s.status.kind).filter((kind, i, all) => i === 0 || all[i - 1] !== kind);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  FakeSocket.all = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('what a feed asks for', () => {
  it('sends only the scope of the filter: no window, no zone', () => {
    expect(SCOPE).toEqual({ includeInternal: false, users: ['7'] });
    const all = liveScope({ ...defaultFilter('UTC'), timeframe: 'custom', from: '2026-01-01', to: '2026-01-31', actions: ['create'], types: ['Tag'] });
    expect(all).toEqual({ includeInternal: true, actions: ['create'], objectTypes: ['Tag'] });
  });

  it('connects to the page’s own origin, wss under https', () => {
    expect(liveUrl({ protocol: 'http:', host: '127.0.0.1:8123' })).toBe('ws://127.0.0.1:8123/graphql');
    expect(liveUrl({ protocol: 'https:', host: 'audit.example' })).toBe('wss://audit.example/graphql');
  });

  it('puts the token in connection_init and subscribes from now with the scope', async () => {
    const { feed } = follow();
    feed.start();
    const socket = await connectLatest();
    expect(socket.protocol).toBe('graphql-transport-ws');
    expect(socket.sent[0]).toEqual({ type: 'connection_init', payload: { Authorization: 'Bearer agw_test' } });
    const { payload } = socket.subscription();
    expect(payload.variables).toEqual({ filter: SCOPE, after: null });
    expect(String(payload.query)).toMatch(/^\s*subscription ActivityEvents\(/);
    feed.stop();
  });
});

describe('rows', () => {
  it('keeps them newest first, counts them, and keeps at most MAX_LIVE_ROWS', async () => {
    const { feed } = follow();
    feed.start();
    const socket = await connectLatest();
    for (let id = 1; id <= MAX_LIVE_ROWS + 20; id += 1) socket.row(id);
    const { rows, received } = feed.current;
    expect(received).toBe(MAX_LIVE_ROWS + 20);
    expect(rows).toHaveLength(MAX_LIVE_ROWS);
    expect(rows[0]?.node.id).toBe(String(MAX_LIVE_ROWS + 20));
    expect(rows.at(-1)?.node.id).toBe('21');
    expect(feed.lastCursor).toBe(`cursor-${String(MAX_LIVE_ROWS + 20)}`);
    feed.stop();
  });
});

describe('reconnecting', () => {
  it('resumes after the last cursor received, on a new connection, for 1013, 1001 and a lost network', async () => {
    const { feed, states } = follow();
    feed.start();
    let socket = await connectLatest();
    socket.row(1);
    socket.row(2);

    socket.serverClose(1013, 'slow consumer: resume from the last cursor');
    expect(feed.current.status).toEqual({ kind: 'reconnecting', reason: 'the gateway asked to try again' });
    await settle();
    expect(FakeSocket.all).toHaveLength(1); // graphql-ws did not reconnect by itself
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    socket = await connectLatest();
    expect(FakeSocket.all).toHaveLength(2);
    expect(socket.subscription().payload.variables.after).toBe('cursor-2');
    socket.row(3);

    socket.serverClose(1001, 'the server is shutting down');
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    socket = await connectLatest();
    expect(socket.subscription().payload.variables.after).toBe('cursor-3');
    socket.row(4);

    socket.lose();
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    socket = await connectLatest();
    expect(socket.subscription().payload.variables.after).toBe('cursor-4');
    // One subscription per connection, each sent once.
    expect(FakeSocket.all.map((s) => s.sent.filter((m) => m.type === 'subscribe').length)).toEqual([1, 1, 1, 1]);
    expect(feed.current.rows.map((r) => r.node.id)).toEqual(['4', '3', '2', '1']);
    expect(kinds(states)).toEqual(['connecting', 'live', 'reconnecting', 'live', 'reconnecting', 'live', 'reconnecting', 'live']);
    feed.stop();
  });

  it('also for a normal close (1000), which graphql-ws would retry with the first cursor', async () => {
    const { feed } = follow();
    feed.start();
    let socket = await connectLatest();
    socket.row(1);
    socket.serverClose(1000);
    await settle();
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    socket = await connectLatest();
    expect(socket.subscription().payload.variables.after).toBe('cursor-1');
    feed.stop();
  });

  it('waits longer after each failed attempt, and starts over once connected', async () => {
    const delays: number[] = [];
    const feed = new LiveFeed({
      url: 'ws://gateway.test/graphql',
      token: 'agw_test',
      scope: SCOPE,
      onChange: () => undefined,
      webSocketImpl: FakeSocket,
      retryDelay: (attempt) => {
        delays.push(attempt);
        return RETRY_MS;
      },
    });
    feed.start();
    (await connectLatest()).serverClose(1013);
    for (let i = 0; i < 2; i += 1) {
      await vi.advanceTimersByTimeAsync(RETRY_MS);
      latest().lose(); // refused before it opened
    }
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    (await connectLatest()).serverClose(1013);
    expect(delays).toEqual([0, 1, 2, 0]);
    feed.stop();
  });
});

describe('stopping', () => {
  for (const [code, message] of [
    [4401, 'The token was not accepted: it is unknown, expired or revoked.'],
    [4403, 'This token’s account is not an Admin: only Admins may follow the audit log.'],
  ] as const) {
    it(`stops for good on ${String(code)}, without retrying`, async () => {
      const { feed, states } = follow();
      feed.start();
      await settle();
      const socket = latest();
      socket.open();
      await settle();
      socket.serverClose(code, 'not admitted');
      expect(feed.current.status).toEqual({ kind: 'stopped', message });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(FakeSocket.all).toHaveLength(1);
      expect(kinds(states)).toEqual(['connecting', 'stopped']);
    });
  }

  it('stops with the gateway’s message for a refused subscription (BAD_USER_INPUT)', async () => {
    const { feed } = follow();
    feed.start();
    const socket = await connectLatest();
    const { id } = socket.subscription();
    socket.receive({
      id,
      type: 'next',
      payload: { data: null, errors: [{ message: 'timeframe: a live feed has no window', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    socket.receive({ id, type: 'complete' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(feed.current.status).toEqual({ kind: 'stopped', message: 'The live feed was refused: timeframe: a live feed has no window' });
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('stop() completes the subscription, closes the socket and cancels a pending reconnect', async () => {
    const { feed } = follow();
    feed.start();
    const socket = await connectLatest();
    const { id } = socket.subscription();
    feed.stop();
    await settle();
    expect(socket.sent.at(-1)).toEqual({ id, type: 'complete' });
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    expect(feed.current.status).toEqual({ kind: 'off' });

    feed.start();
    (await connectLatest()).serverClose(1013);
    feed.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(feed.current.status).toEqual({ kind: 'off' });
  });

  it('a start after a stop resumes after the last row received', async () => {
    const { feed } = follow();
    feed.start();
    (await connectLatest()).row(9);
    feed.stop();
    feed.start();
    const socket = await connectLatest();
    expect(socket.subscription().payload.variables.after).toBe('cursor-9');
    expect(feed.current.rows.map((r) => r.node.id)).toEqual(['9']);
    feed.stop();
  });
});

describe('what ends a connection', () => {
  it('retries the network’s codes and the transient GraphQL errors; stops on the rest', () => {
    expect(endingOf({ code: 1006, reason: '' })).toMatchObject({ retry: true });
    expect(endingOf({ code: 4408, reason: 'Connection initialisation timeout' })).toMatchObject({ retry: true });
    expect(endingOf(new Event('error'))).toMatchObject({ retry: true });
    expect(endingOf([{ message: 'too many followers', extensions: { code: 'RATE_LIMITED' } }])).toEqual({
      retry: true,
      reason: 'too many followers',
    });
    expect(endingOf({ code: 4400, reason: 'Invalid message' })).toEqual({
      retry: false,
      message: 'The live feed was closed: Invalid message (4400).',
    });
    expect(endingOf([{ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }])).toMatchObject({ retry: false });
  });
});
