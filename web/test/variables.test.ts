import { describe, expect, it } from 'vitest';
import { defaultFilter, type Filter } from '../src/lib/filter';
import { dashboardVariables, filterInput, logPageVariables } from '../src/lib/variables';

const TODAY = '2026-12-03';
const base = defaultFilter('Europe/Berlin');

describe('the request variables built from a filter', () => {
  it('send the default month explicitly, so the log and the facets cover the cards’ window', () => {
    expect(filterInput(base, TODAY)).toEqual({ timeZone: 'Europe/Berlin', includeInternal: true, timeframe: 'MONTH' });
  });

  it('send a timeframe without a start date, and its end only when the user chose one', () => {
    expect(filterInput({ ...base, timeframe: 'week' }, TODAY)).toEqual({
      timeZone: 'Europe/Berlin',
      includeInternal: true,
      timeframe: 'WEEK',
    });
    const anchored = filterInput({ ...base, timeframe: 'year', to: '2026-06-30' }, TODAY);
    expect(anchored).toEqual({ timeZone: 'Europe/Berlin', includeInternal: true, timeframe: 'YEAR', endDate: '2026-06-30' });
    expect(anchored).not.toHaveProperty('startDate');
  });

  it('send a custom window as two dates and no timeframe', () => {
    const custom: Filter = { ...base, timeframe: 'custom', from: '2026-11-01', to: '2026-11-30' };
    expect(filterInput(custom, TODAY)).toEqual({
      timeZone: 'Europe/Berlin',
      includeInternal: true,
      startDate: '2026-11-01',
      endDate: '2026-11-30',
    });
    expect(filterInput({ ...custom, to: null }, TODAY)).toMatchObject({ startDate: '2026-11-01', endDate: TODAY });
    expect(filterInput(custom, TODAY)).not.toHaveProperty('timeframe');
  });

  it('send includeInternal both ways and the chosen zone', () => {
    expect(filterInput({ ...base, internal: false, tz: 'America/New_York' }, TODAY)).toMatchObject({
      includeInternal: false,
      timeZone: 'America/New_York',
    });
    expect(filterInput(base, TODAY)).not.toHaveProperty('offset');
  });

  it('send the chosen users, actions and entity types, and nothing for none', () => {
    expect(filterInput({ ...base, users: ['2', '3'], actions: ['update'], types: ['Datastore'] }, TODAY)).toMatchObject({
      users: ['2', '3'],
      actions: ['update'],
      objectTypes: ['Datastore'],
    });
    const none = filterInput(base, TODAY);
    expect(none).not.toHaveProperty('users');
    expect(none).not.toHaveProperty('actions');
    expect(none).not.toHaveProperty('objectTypes');
  });

  it('ask the dashboard for the chart interval and the first page', () => {
    expect(dashboardVariables(base, TODAY, 50)).toEqual({ filter: filterInput(base, TODAY), interval: 'DAY', first: 50 });
    expect(dashboardVariables({ ...base, timeframe: 'quarter' }, TODAY, 25).interval).toBe('WEEK');
    expect(dashboardVariables({ ...base, timeframe: 'year' }, TODAY, 25).interval).toBe('MONTH');
    expect(dashboardVariables({ ...base, timeframe: 'year', interval: 'hour' }, TODAY, 25).interval).toBe('MONTH');
    expect(dashboardVariables({ ...base, timeframe: 'week', interval: 'hour' }, TODAY, 25).interval).toBe('HOUR');
  });

  it('page forward with first/after and backward with last/before', () => {
    const filter = filterInput(base, TODAY);
    expect(logPageVariables(base, TODAY, 25, { kind: 'first' })).toEqual({ filter, first: 25 });
    expect(logPageVariables(base, TODAY, 50, { kind: 'after', cursor: 'c1' })).toEqual({ filter, first: 50, after: 'c1' });
    expect(logPageVariables(base, TODAY, 100, { kind: 'before', cursor: 'c0' })).toEqual({ filter, last: 100, before: 'c0' });
  });
});
