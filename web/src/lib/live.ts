// The log's Live mode: the `activityEvents` subscription over a WebSocket at the page's own
// origin (graphql-transport-ws, spoken by graphql-ws), kept going across lost connections.
// - Each connection subscribes afresh with `after` = the last cursor received, so a reconnect
//   neither repeats nor skips a row. graphql-ws's own retry would re-send the first subscribe
//   payload, and with it the first cursor: its retries are off (`retryAttempts: 0`) and this
//   module connects again itself.
// - 4401 (token not accepted) and 4403 (not an Admin) stop the feed for good; a slow consumer
//   (1013), a server going away (1001) and a lost network are retried after a growing pause.
// - What it keeps is bounded: the newest MAX_LIVE_ROWS rows, and a count of all it received.

import { createClient, type Client } from 'graphql-ws';
import {
  ActivityEventsDocument,
  type ActivityEventsSubscription,
  type ActivityEventsSubscriptionVariables,
  type ActivityFilter,
} from '../generated/graphql';
import { ENDPOINT } from './api';
import type { Filter } from './filter';

/** Live rows kept in memory (and shown); older ones are dropped, though still counted. */
export const MAX_LIVE_ROWS = 500;

/** One row of the feed: the log's row (LogRow) and the cursor to resume after it. */
export type LiveRow = ActivityEventsSubscription['activityEvents'];

export type LiveStatus =
  /** Not following: never started, or turned off. */
  | { kind: 'off' }
  /** The first connection of a start is being opened. */
  | { kind: 'connecting' }
  /** Subscribed: rows arrive as they are written. */
  | { kind: 'live' }
  /** The connection was lost; another follows after a pause and resumes after the last row. */
  | { kind: 'reconnecting'; reason: string }
  /** Stopped for good (the token does not admit a feed, or the gateway refused it). */
  | { kind: 'stopped'; message: string };

export interface LiveState {
  status: LiveStatus;
  /** Newest first, at most MAX_LIVE_ROWS. */
  rows: LiveRow[];
  /** Rows received since the feed was made: more than `rows` holds once the bound is reached. */
  received: number;
}

export const IDLE: LiveState = { status: { kind: 'off' }, rows: [], received: 0 };

/**
 * The scope of the page's filter, which is all a feed accepts: users, actions, object types and
 * internal users. Its window (timeframe, dates, zone) is left out: a feed has no end, and the
 * gateway refuses a window with BAD_USER_INPUT.
 */
export function liveScope(filter: Filter): ActivityFilter {
  const scope: ActivityFilter = { includeInternal: filter.internal };
  if (filter.users.length > 0) scope.users = filter.users;
  if (filter.actions.length > 0) scope.actions = filter.actions;
  if (filter.types.length > 0) scope.objectTypes = filter.types;
  return scope;
}

/** The WebSocket address of the GraphQL endpoint at the page's own origin. */
export function liveUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${ENDPOINT}`;
}

/** The pause before reconnection `attempt` (0 first): 1 s doubling to 30 s, with some jitter so
 * that the pages a restarting gateway dropped do not all come back at once. */
export function backoff(attempt: number): number {
  const base = Math.min(1000 * 2 ** attempt, 30_000);
  return base + Math.floor(Math.random() * base * 0.25);
}

export interface LiveOptions {
  url: string;
  token: string;
  scope: ActivityFilter;
  onChange: (state: LiveState) => void;
  /** The WebSocket class (tests pass a fake); the browser's by default. */
  webSocketImpl?: unknown;
  /** The pause before reconnection `attempt`, in ms. */
  retryDelay?: (attempt: number) => number;
}

/** What ended a connection: connect again, or stop with a message. */
export type Ending = { retry: true; reason: string } | { retry: false; message: string };

/** GraphQL error codes worth connecting again for (as for a POST: 429, 503, 504). */
const TRANSIENT_CODES = new Set(['RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'TIMEOUT']);

interface CloseLike {
  code: number;
  reason: string;
}

function isCloseLike(value: unknown): value is CloseLike {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number' && 'reason' in value;
}

interface ErrorLike {
  message?: unknown;
  extensions?: { code?: unknown } | null;
}

/** Sorts what ended a connection: a close event, GraphQL errors, or anything else (the network). */
export function endingOf(cause: unknown): Ending {
  if (isCloseLike(cause)) {
    const reason = cause.reason === '' ? `code ${String(cause.code)}` : `${cause.reason} (${String(cause.code)})`;
    switch (cause.code) {
      case 4401:
        return { retry: false, message: 'The token was not accepted: it is unknown, expired or revoked.' };
      case 4403:
        return { retry: false, message: 'This token’s account is not an Admin: only Admins may follow the audit log.' };
      case 1013:
        return { retry: true, reason: 'the gateway asked to try again' };
      case 1001:
        return { retry: true, reason: 'the gateway went away' };
    }
    // Other 4xxx codes are the protocol's own refusals (a bad message, a server error): trying
    // again would be refused again. 1xxx codes and the timeouts (4408, 4499) are the network's.
    if (cause.code >= 4000 && cause.code !== 4408 && cause.code !== 4499) {
      return { retry: false, message: `The live feed was closed: ${reason}.` };
    }
    return { retry: true, reason: 'the connection was lost' };
  }
  if (Array.isArray(cause) && cause.length > 0) {
    const first = cause[0] as ErrorLike;
    const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
    const message = typeof first.message === 'string' ? first.message : 'unknown error';
    if (code !== null && TRANSIENT_CODES.has(code)) return { retry: true, reason: message };
    return { retry: false, message: `The live feed was refused: ${message}` };
  }
  return { retry: true, reason: 'the connection was lost' };
}

/** The server completed the subscription: a feed has no end, so follow on from the last row. */
const COMPLETED: CloseLike = { code: 1000, reason: 'the feed ended' };

interface Connection {
  client: Client;
  unsubscribe: () => void;
}

/** One followed scope: start() and stop() as often as the toggle says; rows and cursor stay. */
export class LiveFeed {
  private state: LiveState = IDLE;
  private cursor: string | null = null;
  private connection: Connection | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;

  constructor(private readonly options: LiveOptions) {}

  get current(): LiveState {
    return this.state;
  }

  /** The cursor of the last row received: where the next connection resumes. */
  get lastCursor(): string | null {
    return this.cursor;
  }

  /** Follows the scope: from the last row received, or (none yet) from now. */
  start(): void {
    if (this.connection !== null || this.retryTimer !== null) return;
    this.attempt = 0;
    this.set({ status: { kind: 'connecting' } });
    this.connect();
  }

  /** Stops following; the rows received stay, and a later start() resumes after them. */
  stop(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const connection = this.connection;
    this.connection = null;
    if (connection !== null) close(connection);
    if (this.state.status.kind !== 'off') this.set({ status: { kind: 'off' } });
  }

  private connect(): void {
    const { url, token, scope, webSocketImpl } = this.options;
    const end = (cause: unknown): void => {
      // Only the current connection's first ending counts: a close that follows an error, or
      // the sink's error that follows the close, is the same ending.
      if (this.connection !== connection) return;
      this.connection = null;
      close(connection);
      this.ended(endingOf(cause));
    };
    const client = createClient({
      url,
      connectionParams: { Authorization: `Bearer ${token}` },
      lazy: true,
      retryAttempts: 0,
      ...(webSocketImpl === undefined ? {} : { webSocketImpl }),
      on: {
        connected: () => {
          if (this.connection !== connection) return;
          this.attempt = 0;
          this.set({ status: { kind: 'live' } });
        },
        // Every close ends the connection here, before graphql-ws could reconnect by itself
        // (it does so after a 1000 whatever retryAttempts says, with the old cursor).
        closed: end,
      },
    });
    const connection: Connection = { client, unsubscribe: () => undefined };
    this.connection = connection;
    const variables: ActivityEventsSubscriptionVariables = { filter: scope, after: this.cursor };
    connection.unsubscribe = client.subscribe<ActivityEventsSubscription>(
      { query: ActivityEventsDocument.toString(), variables },
      {
        next: (result) => {
          if (this.connection !== connection) return;
          // A refused subscription comes as a result with errors (then a complete).
          if (result.errors !== undefined && result.errors.length > 0) {
            end(result.errors);
            return;
          }
          const row = result.data?.activityEvents;
          if (row !== undefined) this.receive(row);
        },
        error: end,
        complete: () => {
          end(COMPLETED);
        },
      },
    );
  }

  private receive(row: LiveRow): void {
    this.cursor = row.cursor;
    const rows = [row, ...this.state.rows];
    if (rows.length > MAX_LIVE_ROWS) rows.length = MAX_LIVE_ROWS;
    this.set({ rows, received: this.state.received + 1 });
  }

  private ended(ending: Ending): void {
    if (!ending.retry) {
      this.set({ status: { kind: 'stopped', message: ending.message } });
      return;
    }
    this.set({ status: { kind: 'reconnecting', reason: ending.reason } });
    const delay = (this.options.retryDelay ?? backoff)(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    this.options.onChange(this.state);
  }
}

/** Completes the subscription (if the socket is still open) and closes the socket. */
function close({ client, unsubscribe }: Connection): void {
  unsubscribe();
  // Disposing while the socket is still connecting waits for it, and rejects if it fails.
  Promise.resolve(client.dispose()).catch(() => undefined);
}
