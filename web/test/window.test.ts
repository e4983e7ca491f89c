import { describe, expect, it } from 'vitest';
import { defaultFilter, type Filter } from '../src/lib/filter';
import { autoInterval, chartInterval, hourAllowed, windowOf } from '../src/lib/window';

const base = defaultFilter('UTC');
const TODAY = '2026-12-03';
const custom = (from: string, to: string): Filter => ({ ...base, timeframe: 'custom', from, to });

describe('the window of a filter', () => {
  it('follows the API: a week is the end date and the six days before it', () => {
    expect(windowOf({ ...base, timeframe: 'week' }, TODAY)).toEqual({ start: '2026-11-27', end: TODAY, days: 7 });
  });

  it('a month starts the day after the same date a month earlier, clamped', () => {
    expect(windowOf(base, TODAY)).toEqual({ start: '2026-11-04', end: TODAY, days: 30 });
    expect(windowOf({ ...base, to: '2026-03-31' }, TODAY)).toEqual({ start: '2026-03-01', end: '2026-03-31', days: 31 });
    expect(windowOf({ ...base, to: '2024-03-30' }, TODAY).start).toBe('2024-03-01');
  });

  it('a quarter and a year', () => {
    expect(windowOf({ ...base, timeframe: 'quarter' }, TODAY).start).toBe('2026-09-04');
    expect(windowOf({ ...base, timeframe: 'year' }, TODAY)).toEqual({ start: '2025-12-04', end: TODAY, days: 365 });
    expect(windowOf({ ...base, timeframe: 'year', to: '2024-12-31' }, TODAY).days).toBe(366);
  });

  it('a custom window runs from its first to its last day, or to today', () => {
    expect(windowOf(custom('2026-11-01', '2026-11-30'), TODAY).days).toBe(30);
    expect(windowOf({ ...base, timeframe: 'custom', from: '2026-12-01' }, TODAY)).toEqual({ start: '2026-12-01', end: TODAY, days: 3 });
  });
});

describe('the automatic chart interval', () => {
  it('charts days for a week or a month, weeks for a quarter, months for a year', () => {
    expect(autoInterval({ ...base, timeframe: 'week' }, 7)).toBe('DAY');
    expect(autoInterval({ ...base, timeframe: 'month' }, 31)).toBe('DAY');
    expect(autoInterval({ ...base, timeframe: 'quarter' }, 92)).toBe('WEEK');
    expect(autoInterval({ ...base, timeframe: 'year' }, 366)).toBe('MONTH');
  });

  it('charts a custom window by its length, like the timeframe of that length', () => {
    const cases: [string, string, string][] = [
      ['2026-11-30', '2026-11-30', 'HOUR'],
      ['2026-11-29', '2026-11-30', 'HOUR'],
      ['2026-11-28', '2026-11-30', 'DAY'],
      ['2026-11-24', '2026-11-30', 'DAY'],
      ['2026-10-31', '2026-11-30', 'DAY'],
      ['2026-10-01', '2026-11-30', 'DAY'],
      ['2026-09-01', '2026-11-30', 'WEEK'],
      ['2026-06-01', '2026-11-30', 'WEEK'],
      ['2025-12-01', '2026-11-30', 'MONTH'],
      ['2024-01-01', '2026-11-30', 'MONTH'],
      ['2020-01-01', '2026-11-30', 'QUARTER'],
    ];
    for (const [from, to, interval] of cases) {
      const filter = custom(from, to);
      expect([from, to, autoInterval(filter, windowOf(filter, TODAY).days)]).toEqual([from, to, interval]);
    }
  });

  it('uses the chosen interval instead of Auto', () => {
    expect(chartInterval({ ...base, timeframe: 'year', interval: 'quarter' }, 365)).toBe('QUARTER');
    expect(chartInterval({ ...base, timeframe: 'week', interval: 'hour' }, 7)).toBe('HOUR');
  });
});

describe('hours', () => {
  it('are allowed for windows of at most 31 days', () => {
    expect(hourAllowed(1)).toBe(true);
    expect(hourAllowed(31)).toBe(true);
    expect(hourAllowed(32)).toBe(false);
    expect(hourAllowed(366)).toBe(false);
  });

  it('are refused for longer windows: the chart falls back to Auto', () => {
    expect(chartInterval({ ...base, timeframe: 'quarter', interval: 'hour' }, 92)).toBe('WEEK');
    expect(chartInterval({ ...custom('2026-10-01', '2026-11-01'), interval: 'hour' }, 32)).toBe('DAY');
    expect(chartInterval({ ...custom('2026-10-02', '2026-11-01'), interval: 'hour' }, 31)).toBe('HOUR');
  });
});
