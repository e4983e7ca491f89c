// Text the page shows. Numbers are written the English way, like the rest of the page's words.

import type { ChartInterval } from '../generated/graphql';

const number = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return number.format(n);
}

/** "1 action", "1,234 actions", "0 actions". */
export function formatActions(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'action' : 'actions'}`;
}

const INTERVAL_WORD: Record<ChartInterval, string> = {
  HOUR: 'hour',
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
  QUARTER: 'quarter',
};

export function intervalWord(interval: ChartInterval): string {
  return INTERVAL_WORD[interval];
}

/** The chart's text alternative: "Activity chart: 1,234 actions by day from … to …". */
export function chartLabel(total: number, interval: ChartInterval, first: string, last: string): string {
  return `Activity chart: ${formatActions(total)} by ${intervalWord(interval)} from ${first} to ${last}`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as the local date and time in `timeZone`, written 2026-12-03 09:14:22: unambiguous
 * in any locale, sortable, and narrow enough for a phone.
 */
export function formatTime(iso: string, timeZone: string): string {
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(timeZone, format);
  }
  const fields = format.formatToParts(new Date(iso));
  const get = (type: Intl.DateTimeFormatPartTypes): string => fields.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A chart bucket's short name on the axis and in the data table. */
export function bucketLabel(interval: ChartInterval, firstDay: string, start: string, timeZone: string): string {
  const [year = '', month = '', day = ''] = firstDay.split('-');
  const monthName = MONTHS[Number(month) - 1] ?? month;
  switch (interval) {
    case 'HOUR': {
      // Midnight names its day, so that a week of hours can be read from the axis.
      const time = formatTime(start, timeZone).slice(11, 16);
      return time === '00:00' ? `${monthName} ${String(Number(day))}` : time;
    }
    case 'DAY':
    case 'WEEK':
      return `${monthName} ${String(Number(day))}`;
    case 'MONTH':
      return `${monthName} ${year}`;
    case 'QUARTER':
      return `Q${String(Math.floor((Number(month) - 1) / 3) + 1)} ${year}`;
  }
}

/** A chart bucket's full name in the data table: its hour, its day, or its first and last days. */
export function bucketTitle(interval: ChartInterval, firstDay: string, lastDay: string, start: string, timeZone: string): string {
  if (interval === 'HOUR') return formatTime(start, timeZone).slice(0, 16);
  return firstDay === lastDay ? firstDay : `${firstDay} to ${lastDay}`;
}
