// The GraphQL variables for a filter. One `ActivityFilter` value is shared by the cards, the
// chart, the facets and the log, so they always describe the same actions.

import type {
  ActivityFilter,
  ActivityLogPageQueryVariables,
  DashboardQueryVariables,
  Timeframe,
} from '../generated/graphql';
import type { Filter } from './filter';
import { chartInterval, windowOf } from './window';

const TIMEFRAME: Record<Exclude<Filter['timeframe'], 'custom'>, Timeframe> = {
  week: 'WEEK',
  month: 'MONTH',
  quarter: 'QUARTER',
  year: 'YEAR',
};

/**
 * The API's filter for the page's. A timeframe is always sent, even the default month: without
 * one the log and the facets would cover all time while the cards cover a month. A timeframe
 * cannot be combined with a start date, so a custom window sends its two dates instead.
 */
export function filterInput(filter: Filter, today: string): ActivityFilter {
  const input: ActivityFilter = {
    timeZone: filter.tz,
    includeInternal: filter.internal,
  };
  if (filter.timeframe === 'custom') {
    input.startDate = filter.from ?? filter.to ?? today;
    input.endDate = filter.to ?? today;
  } else {
    input.timeframe = TIMEFRAME[filter.timeframe];
    if (filter.to !== null) input.endDate = filter.to;
  }
  if (filter.users.length > 0) input.users = filter.users;
  if (filter.actions.length > 0) input.actions = filter.actions;
  if (filter.types.length > 0) input.objectTypes = filter.types;
  return input;
}

export function dashboardVariables(filter: Filter, today: string, pageSize: number): DashboardQueryVariables {
  return {
    filter: filterInput(filter, today),
    interval: chartInterval(filter, windowOf(filter, today).days),
    first: pageSize,
  };
}

/** Where a log page starts: the newest rows, after a cursor, or before one. */
export type PageRequest = { kind: 'first' } | { kind: 'after'; cursor: string } | { kind: 'before'; cursor: string };

export function logPageVariables(
  filter: Filter,
  today: string,
  pageSize: number,
  page: PageRequest,
): ActivityLogPageQueryVariables {
  const base = { filter: filterInput(filter, today) };
  switch (page.kind) {
    case 'first':
      return { ...base, first: pageSize };
    case 'after':
      return { ...base, first: pageSize, after: page.cursor };
    case 'before':
      return { ...base, last: pageSize, before: page.cursor };
  }
}
