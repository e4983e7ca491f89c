import { describe, expect, it } from 'vitest';
import { defaultFilter, filterFromSearch, searchFromFilter, type Filter } from '../src/lib/filter';

const ZONE = 'Europe/Berlin';
// 2026-12-03 10:00 in Berlin.
const NOW = new Date('2026-12-03T09:00:00Z');

const parse = (search: string): Filter => filterFromSearch(search, ZONE, NOW);

describe('the URL ↔ filter mapping', () => {
  it('reads an empty query string as the API default: this month, the browser zone, internal users in', () => {
    expect(parse('')).toEqual(defaultFilter(ZONE));
    expect(defaultFilter(ZONE)).toEqual({
      timeframe: 'month',
      from: null,
      to: null,
      users: [],
      actions: [],
      types: [],
      internal: true,
      tz: ZONE,
      interval: 'auto',
    });
  });

  it('writes the default with its timeframe and zone only', () => {
    expect(searchFromFilter(defaultFilter(ZONE))).toBe('?timeframe=month&tz=Europe/Berlin');
  });

  it('reads every parameter', () => {
    expect(
      parse(
        '?timeframe=custom&from=2026-11-01&to=2026-11-30&tz=America/New_York&users=2&users=3' +
          '&actions=update&actions=delete&types=Datastore&internal=0&interval=week',
      ),
    ).toEqual({
      timeframe: 'custom',
      from: '2026-11-01',
      to: '2026-11-30',
      users: ['2', '3'],
      actions: ['update', 'delete'],
      types: ['Datastore'],
      internal: false,
      tz: 'America/New_York',
      interval: 'week',
    });
  });

  const filters: Filter[] = [
    defaultFilter(ZONE),
    { ...defaultFilter('UTC'), timeframe: 'week', to: '2026-06-30', interval: 'hour' },
    { ...defaultFilter('Asia/Kolkata'), timeframe: 'year', users: ['9007199254740993'], internal: false, interval: 'quarter' },
    {
      ...defaultFilter('America/Los_Angeles'),
      timeframe: 'custom',
      from: '2026-01-01',
      to: '2026-03-31',
      actions: ['update', 'a&b=c', 'with space', 'ünïcode'],
      types: ['Datastore', 'QualityCheck'],
      users: ['1', '22'],
    },
    { ...defaultFilter(ZONE), timeframe: 'custom', from: '2026-12-01', to: null, interval: 'hour' },
  ];

  it.each(filters)('round-trips %j', (filter) => {
    expect(parse(searchFromFilter(filter))).toEqual(filter);
  });

  it('keeps slashes in the zone readable and escapes what needs it', () => {
    const search = searchFromFilter({ ...defaultFilter(ZONE), actions: ['a&b=c', 'x y'] });
    expect(search).toBe('?timeframe=month&tz=Europe/Berlin&actions=a%26b%3Dc&actions=x%20y');
  });

  it('reads a zone in another spelling as its canonical name', () => {
    expect(parse('?tz=europe/berlin').tz).toBe('Europe/Berlin');
  });

  describe('ignores invalid values', () => {
    it('an unknown timeframe', () => {
      expect(parse('?timeframe=fortnight')).toEqual(defaultFilter(ZONE));
    });

    it('an unknown zone', () => {
      expect(parse('?tz=Mars/Olympus_Mons').tz).toBe(ZONE);
      expect(parse('?tz=').tz).toBe(ZONE);
    });

    it('dates that are not calendar dates', () => {
      for (const bad of ['2026-02-30', '2026-13-01', '26-01-01', '2026-1-1', 'yesterday', '0001-01-01']) {
        expect(parse(`?timeframe=week&to=${bad}`).to).toBeNull();
      }
      expect(parse('?timeframe=week&to=2024-02-29').to).toBe('2024-02-29');
    });

    it('a custom window without a valid first day (the default timeframe applies, the end stays)', () => {
      expect(parse('?timeframe=custom&to=2026-11-30')).toEqual({ ...defaultFilter(ZONE), to: '2026-11-30' });
      expect(parse('?timeframe=custom&from=nope')).toEqual(defaultFilter(ZONE));
    });

    it('a first day after the last', () => {
      expect(parse('?timeframe=custom&from=2026-12-01&to=2026-11-01')).toEqual({ ...defaultFilter(ZONE), to: '2026-11-01' });
    });

    it('a custom window starting in the future without an end', () => {
      expect(parse('?timeframe=custom&from=2027-01-01').timeframe).toBe('month');
    });

    it('a first day with a timeframe (the API refuses both)', () => {
      expect(parse('?timeframe=week&from=2026-11-01')).toEqual({ ...defaultFilter(ZONE), timeframe: 'week' });
    });

    it('user ids that are not ids, and repeats', () => {
      expect(parse('?users=2&users=abc&users=-1&users=&users=2&users=12345678901234567890&users=3').users).toEqual(['2', '3']);
    });

    it('empty, overlong or control-character actions and types', () => {
      const long = 'x'.repeat(256);
      expect(parse(`?actions=&actions=${long}&actions=a%00b&actions=update`).actions).toEqual(['update']);
      expect(parse('?types=&types=Datastore&types=Datastore').types).toEqual(['Datastore']);
    });

    it('an internal flag that is not 0/1/false/true', () => {
      expect(parse('?internal=maybe').internal).toBe(true);
      expect(parse('?internal=false').internal).toBe(false);
      expect(parse('?internal=1').internal).toBe(true);
    });

    it('an unknown interval, and hours for a window over 31 days', () => {
      expect(parse('?interval=minute').interval).toBe('auto');
      expect(parse('?timeframe=month&interval=hour').interval).toBe('hour');
      expect(parse('?timeframe=quarter&interval=hour').interval).toBe('auto');
      expect(parse('?timeframe=custom&from=2026-10-01&to=2026-11-30&interval=hour').interval).toBe('auto');
      expect(parse('?timeframe=custom&from=2026-11-01&to=2026-12-01&interval=hour').interval).toBe('hour');
    });
  });

  it('takes a first day without a timeframe as a custom window', () => {
    expect(parse('?from=2026-11-01&to=2026-11-07')).toMatchObject({ timeframe: 'custom', from: '2026-11-01', to: '2026-11-07' });
  });

  it('lets the last of a repeated single-valued parameter win, like the API', () => {
    expect(parse('?timeframe=week&timeframe=year').timeframe).toBe('year');
    expect(parse('?internal=0&internal=1').internal).toBe(true);
  });
});
