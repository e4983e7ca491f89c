// The window a filter covers and the chart interval that suits it. These mirror the API's own
// rules (schema.graphql: Timeframe, ChartInterval), so the page can label the chart, offer only
// the intervals the API accepts, and never send a request it knows will be refused.

import type { ChartInterval } from '../generated/graphql';
import { addDays, daysBetween, subtractMonths } from './dates';
import type { Filter, IntervalChoice } from './filter-shape';

export interface DateWindow {
  start: string;
  end: string;
  /** Days in the window, both ends included. */
  days: number;
}

/** The local days a filter covers, `today` being today's date in its zone. */
export function windowOf(filter: Filter, today: string): DateWindow {
  const end = filter.to ?? today;
  let start: string;
  switch (filter.timeframe) {
    case 'week':
      start = addDays(end, -6);
      break;
    case 'month':
      start = addDays(subtractMonths(end, 1), 1);
      break;
    case 'quarter':
      start = addDays(subtractMonths(end, 3), 1);
      break;
    case 'year':
      start = addDays(subtractMonths(end, 12), 1);
      break;
    case 'custom':
      start = filter.from ?? end;
      break;
  }
  return { start, end, days: daysBetween(start, end) };
}

/** The API charts hours only for windows of at most 31 days. */
export const MAX_HOUR_DAYS = 31;

export function hourAllowed(days: number): boolean {
  return days <= MAX_HOUR_DAYS;
}

/**
 * The bucket the chart uses when the user leaves "Interval" on Auto: days for a week or a month,
 * weeks for a quarter, months for a year; a custom window by its length, with the same bounds so
 * that a custom window as long as a timeframe charts like it (and a single day charts its hours).
 */
export function autoInterval(filter: Filter, days: number): ChartInterval {
  switch (filter.timeframe) {
    case 'week':
    case 'month':
      return 'DAY';
    case 'quarter':
      return 'WEEK';
    case 'year':
      return 'MONTH';
    case 'custom':
      if (days <= 2) return 'HOUR';
      if (days <= 62) return 'DAY';
      if (days <= 186) return 'WEEK';
      if (days <= 1098) return 'MONTH';
      return 'QUARTER';
  }
}

const CHOSEN: Record<Exclude<IntervalChoice, 'auto'>, ChartInterval> = {
  hour: 'HOUR',
  day: 'DAY',
  week: 'WEEK',
  month: 'MONTH',
  quarter: 'QUARTER',
};

/** The interval the chart is requested with: the user's choice, or Auto's, never a refused HOUR. */
export function chartInterval(filter: Filter, days: number): ChartInterval {
  if (filter.interval === 'auto' || (filter.interval === 'hour' && !hourAllowed(days))) {
    return autoInterval(filter, days);
  }
  return CHOSEN[filter.interval];
}
