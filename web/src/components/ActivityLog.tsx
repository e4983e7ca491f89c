// The activity log: one cursor page of the filter's actions, newest first, with its total,
// Previous/Next and the page size. Paging asks for the log alone (session.ts).

import type { LogPageFragment } from '../generated/graphql';
import { formatActions, formatTime } from '../lib/format';
import type { PageRequest } from '../lib/variables';
import { PAGE_SIZES, type PageSize } from '../session';

type Edge = LogPageFragment['edges'][number];

interface Props {
  log: LogPageFragment | null;
  timeZone: string;
  pageSize: PageSize;
  loading: boolean;
  onPage: (page: PageRequest) => void;
  onPageSize: (size: PageSize) => void;
  onSelectUser: (id: string) => void;
}

function UserCell({ user, onSelect }: { user: Edge['node']['transaction']['user']; onSelect: (id: string) => void }) {
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

export function ActivityLog({ log, timeZone, pageSize, loading, onPage, onPageSize, onSelectUser }: Props) {
  const edges = log?.edges ?? [];
  const info = log?.pageInfo;
  const previous = info?.hasPreviousPage === true && info.startCursor !== null ? info.startCursor : null;
  const next = info?.hasNextPage === true && info.endCursor !== null ? info.endCursor : null;

  return (
    <section class="panel log-panel">
      <div class="panel-head">
        <h2 id="log-title">Activity log</h2>
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
            {edges.map(({ node }) => (
              <tr key={node.id}>
                <td class="log-time">
                  <TimeCell iso={node.transaction.issuedAt} timeZone={timeZone} />
                </td>
                <td>
                  <UserCell user={node.transaction.user} onSelect={onSelectUser} />
                </td>
                <td>{node.verb}</td>
                <td>{node.objectType}</td>
                <td class="mono">{node.objectId ?? '—'}</td>
              </tr>
            ))}
            {log !== null && edges.length === 0 && (
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
