// The signed-in page's state and every request it makes, kept outside the components so that
// the rule "one filter change, one request" lives in one place:
// - a filter change (or back/forward) sends the Dashboard document, once;
// - paging and the page size send the ActivityLogPage document, once;
// - a newer request aborts the one in flight, whose answer is then ignored.
// Controls whose value moves in small steps (the pickers, the dates) are committed after a
// short pause, so that arrowing through a list or typing a date is one change, not ten.

import {
  ActivityLogPageDocument,
  DashboardDocument,
  type ChartInterval,
  type DashboardQuery,
  type LogPageFragment,
} from './generated/graphql';
import { RequestProblem, request, type Problem } from './lib/api';
import { todayIn } from './lib/dates';
import { filterFromSearch, orderWindow, sameFilter, searchFromFilter, type Filter } from './lib/filter';
import { dashboardVariables, logPageVariables, type PageRequest } from './lib/variables';

export const PAGE_SIZES = [25, 50, 100] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
export const DEFAULT_PAGE_SIZE: PageSize = 50;

/** How long a picker or date change waits for the next one before it is sent. */
export const SETTLE_MS = 400;

export interface Shown {
  /** The filter the data on screen was fetched for (the controls may already show a newer one). */
  filter: Filter;
  today: string;
  /** The chart's interval in `dashboard`. */
  interval: ChartInterval;
  dashboard: DashboardQuery;
  log: LogPageFragment;
}

export interface ViewState {
  filter: Filter;
  pageSize: PageSize;
  shown: Shown | null;
  loading: boolean;
  /** A banner: `retry` when trying again may help (429, 503, 504, no answer). */
  problem: { message: string; retry: boolean } | null;
}

export type AuthProblem = Extract<Problem, { kind: 'unauthenticated' | 'forbidden' }>['kind'];

export class AuditSession {
  private state: ViewState;
  private committed: Filter;
  private inFlight: AbortController | null = null;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRequest: (() => void) | null = null;
  private readonly onPopState = (): void => {
    this.cancelSettle();
    const filter = this.readUrl();
    this.committed = filter;
    this.set({ filter });
    this.loadDashboard(filter);
  };

  constructor(
    private readonly token: string,
    private readonly zone: string,
    private readonly onChange: (state: ViewState) => void,
    private readonly onAuthProblem: (kind: AuthProblem) => void,
  ) {
    const filter = this.readUrl();
    this.committed = filter;
    this.state = { filter, pageSize: DEFAULT_PAGE_SIZE, shown: null, loading: false, problem: null };
  }

  get current(): ViewState {
    return this.state;
  }

  /** The filter last sent (or being sent): the controls may show a newer one, still settling. */
  get committedFilter(): Filter {
    return this.committed;
  }

  start(): void {
    window.addEventListener('popstate', this.onPopState);
    this.loadDashboard(this.committed);
  }

  stop(): void {
    window.removeEventListener('popstate', this.onPopState);
    this.cancelSettle();
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** A new filter from the controls: shown at once, sent now or once the control settles. */
  changeFilter(next: Filter, settle = false): void {
    this.cancelSettle();
    this.set({ filter: next });
    if (settle) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = null;
        this.commit(next);
      }, SETTLE_MS);
    } else {
      this.commit(next);
    }
  }

  showPage(page: PageRequest): void {
    this.loadPage(page, this.state.pageSize);
  }

  changePageSize(size: PageSize): void {
    this.set({ pageSize: size });
    this.loadPage({ kind: 'first' }, size);
  }

  retry(): void {
    this.lastRequest?.();
  }

  private readUrl(): Filter {
    return filterFromSearch(window.location.search, this.zone);
  }

  private cancelSettle(): void {
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  private commit(edited: Filter): void {
    const next = orderWindow(edited, this.committed);
    if (next !== edited) this.set({ filter: next });
    // Choosing what is already shown (or undoing a change before it settled) asks for nothing.
    if (sameFilter(next, this.committed) && this.state.shown !== null) return;
    this.committed = next;
    const search = searchFromFilter(next);
    if (search !== window.location.search) window.history.pushState(null, '', search);
    this.loadDashboard(next);
  }

  private loadDashboard(filter: Filter): void {
    const today = todayIn(filter.tz);
    const variables = dashboardVariables(filter, today, this.state.pageSize);
    this.run(
      (signal) => request(DashboardDocument, variables, this.token, signal),
      (dashboard) => ({
        shown: { filter, today, interval: variables.interval, dashboard, log: dashboard.activityConnection },
      }),
      () => {
        this.loadDashboard(filter);
      },
    );
  }

  private loadPage(page: PageRequest, pageSize: PageSize): void {
    const shown = this.state.shown;
    if (shown === null) {
      // Nothing on screen yet: the page comes with the dashboard.
      this.loadDashboard(this.committed);
      return;
    }
    // Pages of what is on screen: the same filter and the same "today" as its first page.
    this.run(
      (signal) =>
        request(ActivityLogPageDocument, logPageVariables(shown.filter, shown.today, pageSize, page), this.token, signal),
      (data) => (this.state.shown ? { shown: { ...this.state.shown, log: data.activityConnection } } : {}),
      () => {
        this.loadPage(page, pageSize);
      },
    );
  }

  private run<T>(work: (signal: AbortSignal) => Promise<T>, apply: (data: T) => Partial<ViewState>, again: () => void): void {
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    this.lastRequest = again;
    this.set({ loading: true });
    work(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        this.inFlight = null;
        this.set({ ...apply(data), loading: false, problem: null });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        this.inFlight = null;
        if (error instanceof RequestProblem) {
          const problem = error.problem;
          if (problem.kind === 'unauthenticated' || problem.kind === 'forbidden') {
            this.stop();
            this.onAuthProblem(problem.kind);
            return;
          }
          this.set({ loading: false, problem: { message: problem.message, retry: problem.kind === 'transient' } });
        } else {
          this.set({ loading: false, problem: { message: 'Something went wrong in this page.', retry: true } });
        }
      },
    );
  }

  private set(patch: Partial<ViewState>): void {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }
}
