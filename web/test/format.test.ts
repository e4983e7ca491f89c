import { describe, expect, it } from 'vitest';
import { bucketLabel, bucketTitle, chartLabel, formatActions, formatTime } from '../src/lib/format';

describe('"N actions"', () => {
  it('is singular for one and plural otherwise, with thousands separators', () => {
    expect(formatActions(0)).toBe('0 actions');
    expect(formatActions(1)).toBe('1 action');
    expect(formatActions(2)).toBe('2 actions');
    expect(formatActions(1234)).toBe('1,234 actions');
    expect(formatActions(1234567)).toBe('1,234,567 actions');
  });
});

describe('the chart label', () => {
  it('begins "Activity chart" and says the total, the bucket and the window', () => {
    expect(chartLabel(1234, 'DAY', '2026-11-04', '2026-12-03')).toBe(
      'Activity chart: 1,234 actions by day from 2026-11-04 to 2026-12-03',
    );
    expect(chartLabel(1, 'HOUR', '2026-12-03', '2026-12-03')).toBe('Activity chart: 1 action by hour from 2026-12-03 to 2026-12-03');
  });
});

describe('times', () => {
  it('are local to the chosen zone, daylight saving included', () => {
    expect(formatTime('2026-06-10T18:42:11Z', 'Europe/Berlin')).toBe('2026-06-10 20:42:11');
    expect(formatTime('2026-12-10T18:42:11Z', 'Europe/Berlin')).toBe('2026-12-10 19:42:11');
    expect(formatTime('2026-06-10T18:42:11.250Z', 'America/New_York')).toBe('2026-06-10 14:42:11');
    expect(formatTime('2026-06-10T00:00:00Z', 'UTC')).toBe('2026-06-10 00:00:00');
  });
});

describe('bucket names', () => {
  it('fit the interval', () => {
    expect(bucketLabel('HOUR', '2026-06-10', '2026-06-10T13:00:00Z', 'Europe/Berlin')).toBe('15:00');
    expect(bucketLabel('HOUR', '2026-06-11', '2026-06-10T22:00:00Z', 'Europe/Berlin')).toBe('Jun 11');
    expect(bucketLabel('DAY', '2026-06-05', '2026-06-04T22:00:00Z', 'Europe/Berlin')).toBe('Jun 5');
    expect(bucketLabel('MONTH', '2026-06-01', '', 'UTC')).toBe('Jun 2026');
    expect(bucketLabel('QUARTER', '2026-10-01', '', 'UTC')).toBe('Q4 2026');
    expect(bucketTitle('WEEK', '2026-06-01', '2026-06-07', '', 'UTC')).toBe('2026-06-01 to 2026-06-07');
    expect(bucketTitle('DAY', '2026-06-01', '2026-06-01', '', 'UTC')).toBe('2026-06-01');
    expect(bucketTitle('HOUR', '2026-06-10', '2026-06-10', '2026-06-10T13:00:00Z', 'Europe/Berlin')).toBe('2026-06-10 15:00');
  });
});
