import { describe, expect, it } from 'vitest';
import { exportQuery, fileNameOf } from '../src/lib/export';
import { defaultFilter, type Filter } from '../src/lib/filter';

const TODAY = '2026-12-03';
const base = defaultFilter('Europe/Berlin');

describe('the export of what the page shows', () => {
  it('asks for the same window and zone as the page, in REST’s names', () => {
    expect(exportQuery(base, TODAY)).toBe('format=csv&timeframe=month&time_zone=Europe%2FBerlin&include_internal=true');
    const custom: Filter = { ...base, timeframe: 'custom', from: '2026-11-01', to: '2026-11-30', internal: false };
    expect(exportQuery(custom, TODAY)).toBe(
      'format=csv&start_date=2026-11-01&end_date=2026-11-30&time_zone=Europe%2FBerlin&include_internal=false',
    );
  });

  it('repeats the key for each chosen user, verb and object type', () => {
    const chosen: Filter = { ...base, users: ['7', '12'], actions: ['update'], types: ['Tag', 'Data Store'] };
    const params = new URLSearchParams(exportQuery(chosen, TODAY));
    expect(params.getAll('users')).toEqual(['7', '12']);
    expect(params.getAll('actions')).toEqual(['update']);
    expect(params.getAll('object_types')).toEqual(['Tag', 'Data Store']);
  });

  it('names the file as the gateway does', () => {
    expect(fileNameOf('attachment; filename="activity-2026-11-01-2026-11-30.csv"')).toBe(
      'activity-2026-11-01-2026-11-30.csv',
    );
    expect(fileNameOf(null)).toBeNull();
    expect(fileNameOf('attachment')).toBeNull();
  });
});
