// The page's filter and its URL form. The query string is the filter's only home besides memory,
// so a link reproduces the view and back/forward walk through earlier filters.

import { canonicalZone, isDate, todayIn } from './dates';
import { type Filter, INTERVALS, TIMEFRAMES } from './filter-shape';
import { hourAllowed, windowOf } from './window';

export { type Filter, INTERVALS, type IntervalChoice, TIMEFRAMES, type TimeframeChoice } from './filter-shape';

/** The API's default view: the month ending today in the browser's zone, internal users included. */
export function defaultFilter(zone: string): Filter {
  return {
    timeframe: 'month',
    from: null,
    to: null,
    users: [],
    actions: [],
    types: [],
    internal: true,
    tz: zone,
    interval: 'auto',
  };
}

// User ids are the database's BIGINTs; verbs and object types are text the columns can hold.
const USER_ID = /^[0-9]{1,19}$/;
const MAX_TEXT = 255;

function isText(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  return value.length > 0 && value.length <= MAX_TEXT && !/[\u0000-\u001f]/.test(value);
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | null {
  return allowed.find((a) => a === value) ?? null;
}

/** A single-valued parameter: the last one wins when repeated, as in the API's REST twin. */
function single(params: URLSearchParams, key: string): string | null {
  return params.getAll(key).at(-1) ?? null;
}

/**
 * Reads a filter from a query string. Values that are not valid are ignored (their defaults
 * apply), so a hand-edited or stale link still opens a sensible view.
 */
export function filterFromSearch(search: string, zone: string, now: Date = new Date()): Filter {
  const params = new URLSearchParams(search);
  const filter = defaultFilter(zone);

  const tz = single(params, 'tz');
  filter.tz = (tz === null ? null : canonicalZone(tz)) ?? zone;

  const from = single(params, 'from');
  const to = single(params, 'to');
  filter.to = to !== null && isDate(to) ? to : null;
  const validFrom = from !== null && isDate(from) && (filter.to === null || from <= filter.to) ? from : null;

  const timeframe = single(params, 'timeframe');
  const chosen = oneOf(TIMEFRAMES, timeframe);
  if (chosen === 'custom' || (timeframe === null && validFrom !== null)) {
    // A custom window needs its first day; without one the default timeframe applies.
    if (validFrom !== null) {
      filter.timeframe = 'custom';
      filter.from = validFrom;
    }
  } else if (chosen !== null) {
    filter.timeframe = chosen;
  }
  if (filter.timeframe === 'custom' && filter.to === null) {
    // A custom window without an end runs to today, which is later than the start only when
    // the start is not in the future.
    if (filter.from !== null && filter.from > todayIn(filter.tz, now)) {
      filter.timeframe = 'month';
      filter.from = null;
    }
  }

  filter.users = distinct(params.getAll('users').filter((u) => USER_ID.test(u)));
  filter.actions = distinct(params.getAll('actions').filter(isText));
  filter.types = distinct(params.getAll('types').filter(isText));

  const internal = single(params, 'internal');
  if (internal === '0' || internal === 'false') filter.internal = false;

  const interval = oneOf(INTERVALS, single(params, 'interval')) ?? 'auto';
  // Hours are charted only for windows of at most 31 days; a longer window charts its default.
  const days = windowOf(filter, todayIn(filter.tz, now)).days;
  filter.interval = interval === 'hour' && !hourAllowed(days) ? 'auto' : interval;

  return filter;
}

// Slashes and colons are legal in a query string: keeping them makes `tz=Europe/Berlin` readable.
function encode(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/%3A/g, ':');
}

/**
 * Writes a filter as a query string (with its `?`). The timeframe and the zone are always
 * written, so a link opened elsewhere shows the same days; the rest only when not the default.
 */
export function searchFromFilter(filter: Filter): string {
  const pairs: [string, string][] = [['timeframe', filter.timeframe]];
  if (filter.timeframe === 'custom' && filter.from !== null) pairs.push(['from', filter.from]);
  if (filter.to !== null) pairs.push(['to', filter.to]);
  pairs.push(['tz', filter.tz]);
  for (const user of filter.users) pairs.push(['users', user]);
  for (const action of filter.actions) pairs.push(['actions', action]);
  for (const type of filter.types) pairs.push(['types', type]);
  if (!filter.internal) pairs.push(['internal', '0']);
  if (filter.interval !== 'auto') pairs.push(['interval', filter.interval]);
  return '?' + pairs.map(([key, value]) => `${key}=${encode(value)}`).join('&');
}

/**
 * A custom window whose first day came after its last, put in order when it is sent: the day the
 * user changed since `before` stays, and the other moves to it. The date fields are not ordered
 * as they are typed in: typing a year digit by digit passes through years 2, 20 and 202, and
 * moving the other day to each of them would lose it.
 */
export function orderWindow(next: Filter, before: Filter): Filter {
  if (next.timeframe !== 'custom' || next.from === null || next.to === null || next.from <= next.to) return next;
  return next.from !== before.from ? { ...next, to: next.from } : { ...next, from: next.to };
}

export function sameFilter(a: Filter, b: Filter): boolean {
  return searchFromFilter(a) === searchFromFilter(b);
}
