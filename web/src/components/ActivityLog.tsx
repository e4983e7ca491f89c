// The activity log: one cursor page of the filter's actions, newest first, with its total,
// Previous/Next and the page size. Paging asks for the log alone (session.ts). With Live on,
// the rows written since (src/lib/live.ts) come above the first page, marked new.

import type { LogPageFragment, LogRowFragment } from '../generated/graphql';
import { formatActions, formatTime } from '../lib/format';
import type { LiveStatus } from '../lib/live';
import type { PageRequest } from '../lib/variables';
import { PAGE_SIZES, type PageSize } from '../session';
import type { Live } from './useLiveFeed';

interface Props {
  log: LogPageFragment | null;
  live: Live;
  timeZone: string;
  pageSize: PageSize;
  loading: boolean;
  onPage: (page: PageRequest) => void;
  onPageSize: (size: PageSize) => void;
  onSelectUser: (id: string) => void;
}

function UserCell({ user, onSelect }: { user: LogRowFragment['transaction']['user']; onSelect: (id: string) => void }) {
  if (user === null) return <span class="muted">deleted user</span>;
  return (
    <>
      <button
        type="button"
        class="link"
        title={user.email}
        onClick={() => {
          onSelect(user.id);
        }}
      >
        {user.name}
      </button>
      {user.isInternal && <span class="badge">system</span>}
    </>
  );
}

/** The date and the time of day, which a narrow screen puts on two lines. */
function TimeCell({ iso, timeZone }: { iso: string; timeZone: string }) {
  const [date, time] = formatTime(iso, timeZone).split(' ');
  return (
    <time dateTime={iso}>
      <span>{date}</span> <span>{time}</span>
    </time>
  );
}

function Row({ node, timeZone, fresh, onSelectUser }: { node: LogRowFragment; timeZone: string; fresh: boolean; onSelectUser: (id: string) => void }) {
  return (
    <tr class={fresh ? 'log-row-new' : undefined}>
      <td class="log-time">
        <TimeCell iso={node.transaction.issuedAt} timeZone={timeZone} />
        {fresh && (
          <>
            {' '}
            <span class="badge badge-new">new</span>
          </>
        )}
      </td>
      <td>
        <UserCell user={node.transaction.user} onSelect={onSelectUser} />
      </td>
      <td>{node.verb}</td>
      <td>{node.objectType}</td>
      <td class="mono">{node.objectId ?? '—'}</td>
    </tr>
  );
}

function statusText(status: LiveStatus): string {
  switch (status.kind) {
    case 'off':
      return '';
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live';
    case 'reconnecting':
      return `Reconnecting (${status.reason})…`;
    case 'stopped':
      return `Stopped. ${status.message}`;
  }
}

/** The Live toggle, its status, and how many rows arrived ("N new", announced politely). */
function LiveControls({ live }: { live: Live }) {
  const shown = live.rows.length < live.received ? ` (the newest ${String(live.rows.length)} shown)` : '';
  return (
    <div class="live-controls">
      <button type="button" class="live-toggle" aria-pressed={live.pressed} onClick={live.toggle}>
        Live
      </button>
      {/* Polite, but not role="status": the header's "Loading…" is the page's one status. */}
      <p class={`live-status live-${live.status.kind}`} aria-live="polite">
        {statusText(live.status)}
      </p>
      <p class="live-count" aria-live="polite">
        {live.received > 0 ? `${live.received.toLocaleString('en-US')} new${shown}` : ''}
      </p>
    </div>
  );
}

export function ActivityLog({ log, live, timeZone, pageSize, loading, onPage, onPageSize, onSelectUser }: Props) {
  const edges = log?.edges ?? [];
  const info = log?.pageInfo;
  const previous = info?.hasPreviousPage === true && info.startCursor !== null ? info.startCursor : null;
  const next = info?.hasNextPage === true && info.endCursor !== null ? info.endCursor : null;
  // New rows belong above the newest page only. One the page already holds (written while the
  // dashboard request that drew it was on its way) is shown once, as the page's.
  const pageIds = new Set(edges.map(({ node }) => node.id));
  const liveRows = log !== null && previous === null ? live.rows.filter(({ node }) => !pageIds.has(node.id)) : [];

  return (
    <section class="panel log-panel">
      <div class="panel-head">
        <h2 id="log-title">Activity log</h2>
        <LiveControls live={live} />
        <p class="log-total" aria-live="polite">{log === null ? '' : formatActions(log.totalCount)}</p>
      </div>
      {/* Above the table, so the keyboard reaches it without passing every row. */}
      <div class="pager">
        <div class="field field-inline">
          <label for="log-page-size">Page size</label>
          <select
            id="log-page-size"
            value={String(pageSize)}
            onChange={(event) => {
              onPageSize(Number(event.currentTarget.value) as PageSize);
            }}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </div>
        <div class="pager-buttons">
          {/* aria-disabled rather than disabled: the button keeps the focus when the last page
              arrives, so a keyboard user is not thrown back to the top of the page. */}
          <button
            type="button"
            aria-disabled={previous === null}
            onClick={() => {
              if (previous !== null && !loading) onPage({ kind: 'before', cursor: previous });
            }}
          >
            Previous
          </button>
          <button
            type="button"
            aria-disabled={next === null}
            onClick={() => {
              if (next !== null && !loading) onPage({ kind: 'after', cursor: next });
            }}
          >
            Next
          </button>
        </div>
      </div>
      {/* Scrolls sideways on a phone: focusable and named, so the keyboard can scroll it too. */}
      <div class="table-scroll" role="region" aria-labelledby="log-title" tabIndex={0}>
        <table class="log-table" aria-labelledby="log-title">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">User</th>
              <th scope="col">Action</th>
              <th scope="col">Entity type</th>
              <th scope="col">Entity ID</th>
            </tr>
          </thead>
          <tbody>
            {liveRows.map(({ node }) => (
              <Row key={`live-${node.id}`} node={node} timeZone={timeZone} fresh onSelectUser={onSelectUser} />
            ))}
            {edges.map(({ node }) => (
              <Row key={node.id} node={node} timeZone={timeZone} fresh={false} onSelectUser={onSelectUser} />
            ))}
            {log !== null && edges.length === 0 && liveRows.length === 0 && (
              <tr>
                <td colSpan={5} class="empty">
                  No actions in this window
                </td>
              </tr>
            )}
            {log === null && (
              <tr>
                <td colSpan={5} class="muted">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
