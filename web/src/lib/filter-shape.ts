// The filter's shape: its fields and the choices they take. Both what reads and writes it (filter.ts)
// and what computes its window (window.ts) need it, so it stands apart from either.

export const TIMEFRAMES = ['week', 'month', 'quarter', 'year', 'custom'] as const;
export type TimeframeChoice = (typeof TIMEFRAMES)[number];

export const INTERVALS = ['auto', 'hour', 'day', 'week', 'month', 'quarter'] as const;
export type IntervalChoice = (typeof INTERVALS)[number];

export interface Filter {
  timeframe: TimeframeChoice;
  /** First day, only with `custom`. */
  from: string | null;
  /** Last day; with a timeframe its anchor. Null: today in `tz`. */
  to: string | null;
  users: string[];
  actions: string[];
  types: string[];
  /** Include internal (platform/service) users' actions. */
  internal: boolean;
  /** IANA time zone the days are counted in. */
  tz: string;
  interval: IntervalChoice;
}
