// The signed-in page: header, filters, banner, cards, chart and log, all driven by one
// AuditSession (src/session.ts), which makes the requests. The log's Live mode follows the
// committed filter's scope (useLiveFeed); the cards and the chart are not live: they refresh
// with the dashboard request of the next filter change.

import { useEffect, useState } from 'preact/hooks';
import { RequestProblem } from '../lib/api';
import { browserZone, todayIn } from '../lib/dates';
import { downloadExport, exportQuery } from '../lib/export';
import type { Filter } from '../lib/filter';
import { hourAllowed, windowOf } from '../lib/window';
import { AuditSession, type AuthProblem, type ViewState } from '../session';
import { ActivityChart } from './ActivityChart';
import { ActivityLog } from './ActivityLog';
import { AppHeader } from './AppHeader';
import { Banner } from './Banner';
import { FilterBar } from './FilterBar';
import { SummaryCards } from './SummaryCards';
import { useLiveFeed } from './useLiveFeed';

interface Props {
  token: string;
  onSignOut: () => void;
  onAuthProblem: (kind: AuthProblem) => void;
}

/** The filter with an interval the API accepts for its window (no hours past 31 days). */
function withValidInterval(filter: Filter): Filter {
  const { days } = windowOf(filter, todayIn(filter.tz));
  return filter.interval === 'hour' && !hourAllowed(days) ? { ...filter, interval: 'auto' } : filter;
}

export function AuditPage({ token, onSignOut, onAuthProblem }: Props) {
  const [view, setView] = useState<ViewState | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportProblem, setExportProblem] = useState<string | null>(null);
  // One session per token (App keys this component by it), made once.
  const [session] = useState(() => new AuditSession(token, browserZone(), setView, onAuthProblem));

  useEffect(() => {
    session.start();
    return () => {
      session.stop();
    };
  }, [session]);

  const state = view ?? session.current;
  const live = useLiveFeed(token, session.committedFilter);
  const { filter, shown } = state;
  const today = todayIn(filter.tz);
  const range = windowOf(filter, today);
  const change = (next: Filter, settle = false): void => {
    session.changeFilter(withValidInterval(next), settle);
  };
  /** Downloads the rows the page shows (every page of them) as CSV. */
  const exportCsv = (): void => {
    setExporting(true);
    setExportProblem(null);
    downloadExport(exportQuery(filter, today), token)
      .catch((error: unknown) => {
        const problem = error instanceof RequestProblem ? error.problem : null;
        if (problem?.kind === 'unauthenticated' || problem?.kind === 'forbidden') {
          onAuthProblem(problem.kind);
        } else {
          setExportProblem(`The export failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      })
      .finally(() => {
        setExporting(false);
      });
  };

  return (
    <>
      <AppHeader loading={state.loading} exporting={exporting} onExport={exportCsv} onSignOut={onSignOut} />
      <main id="main" class="page" aria-busy={state.loading}>
        <FilterBar filter={filter} range={range} today={today} facets={shown?.dashboard.activityFacets ?? null} onChange={change} />
        {exportProblem !== null && <Banner message={exportProblem} onRetry={exportCsv} />}
        {state.problem !== null && (
          <Banner
            message={state.problem.message}
            onRetry={
              state.problem.retry
                ? () => {
                    session.retry();
                  }
                : null
            }
          />
        )}
        <SummaryCards insights={shown?.dashboard.activityInsights ?? null} />
        <ActivityChart
          insights={shown?.dashboard.activityInsights ?? null}
          shownInterval={shown?.interval ?? null}
          timeZone={shown?.filter.tz ?? filter.tz}
          interval={filter.interval}
          hourAllowed={hourAllowed(range.days)}
          onIntervalChange={(interval) => {
            change({ ...filter, interval });
          }}
          onSelectBucket={(firstDay, lastDay) => {
            // Narrow the window to the bucket; Auto then charts it in finer buckets.
            change({ ...filter, timeframe: 'custom', from: firstDay, to: lastDay, interval: 'auto' });
          }}
        />
        <ActivityLog
          log={shown?.log ?? null}
          live={live}
          timeZone={shown?.filter.tz ?? filter.tz}
          pageSize={state.pageSize}
          loading={state.loading}
          onPage={(page) => {
            session.showPage(page);
          }}
          onPageSize={(size) => {
            session.changePageSize(size);
          }}
          onSelectUser={(id) => {
            change({ ...filter, users: [id] });
          }}
        />
      </main>
    </>
  );
}
