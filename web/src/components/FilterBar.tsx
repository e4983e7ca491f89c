// The filter's controls. Each reports a whole new filter; the pickers and the dates ask for a
// short pause before it is sent (see SETTLE_MS in session.ts).

import type { DashboardQuery } from '../generated/graphql';
import { isDate } from '../lib/dates';
import { TIMEFRAMES, type Filter, type TimeframeChoice } from '../lib/filter';
import type { DateWindow } from '../lib/window';
import { MultiSelect, type PickerOption } from './MultiSelect';

type Facets = DashboardQuery['activityFacets'];

interface Props {
  filter: Filter;
  /** The days the filter covers, shown in From and To. */
  range: DateWindow;
  today: string;
  facets: Facets | null;
  onChange: (next: Filter, settle?: boolean) => void;
}

const TIMEFRAME_LABELS: Record<TimeframeChoice, string> = {
  week: 'Week',
  month: 'Month',
  quarter: 'Quarter',
  year: 'Year',
  custom: 'Custom',
};

let zones: string[] | null = null;

/** Every zone the browser knows, plus UTC and the one in use should the list lack them. */
function zoneList(current: string): string[] {
  zones ??= Intl.supportedValuesOf('timeZone');
  return zones.includes(current) && zones.includes('UTC') ? zones : [...new Set([...zones, 'UTC', current])].sort();
}

function userOptions(facets: Facets | null): PickerOption[] {
  return (facets?.users ?? []).map(({ userId, count, user }) => ({
    value: userId,
    label: user === null ? `deleted user #${userId}` : user.isInternal ? `${user.name} (system)` : user.name,
    count,
    ...(user === null ? {} : { title: user.email }),
  }));
}

function valueOptions(values: { value: string; count: number }[] | undefined): PickerOption[] {
  return (values ?? []).map(({ value, count }) => ({ value, label: value, count }));
}

export function FilterBar({ filter, range, today, facets, onChange }: Props) {
  const custom = filter.timeframe === 'custom';

  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <div class="filter-row">
        <div class="field">
          <label for="filter-timeframe">Timeframe</label>
          <select
            id="filter-timeframe"
            value={filter.timeframe}
            onChange={(event) => {
              const timeframe = event.currentTarget.value as TimeframeChoice;
              // Custom starts from the days on screen; a timeframe keeps the chosen end as its anchor.
              onChange(
                timeframe === 'custom'
                  ? { ...filter, timeframe, from: range.start, to: range.end }
                  : { ...filter, timeframe, from: null },
              );
            }}
          >
            {TIMEFRAMES.map((t) => (
              <option key={t} value={t}>
                {TIMEFRAME_LABELS[t]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-from">From</label>
          <input
            id="filter-from"
            type="date"
            value={range.start}
            max={today}
            aria-describedby={custom ? undefined : 'filter-from-hint'}
            onChange={(event) => {
              const from = event.currentTarget.value;
              if (!isDate(from)) return;
              // Choosing a first day makes the window custom; its end stays (if it would come
              // first, it moves to the first day once the change settles: orderWindow).
              onChange({ ...filter, timeframe: 'custom', from, to: range.end }, true);
            }}
          />
          {!custom && (
            <p id="filter-from-hint" class="hint">
              Changing it picks Custom
            </p>
          )}
        </div>
        <div class="field">
          <label for="filter-to">To</label>
          <input
            id="filter-to"
            type="date"
            value={range.end}
            max={today}
            onChange={(event) => {
              const value = event.currentTarget.value;
              // Cleared: the window ends today again. A first day after it moves to it once the
              // change settles (orderWindow), not while a year is still being typed.
              const to = isDate(value) ? value : null;
              onChange({ ...filter, to }, true);
            }}
          />
        </div>
        <div class="field">
          <label for="filter-tz">Time zone</label>
          <select
            id="filter-tz"
            value={filter.tz}
            onChange={(event) => {
              onChange({ ...filter, tz: event.currentTarget.value });
            }}
          >
            {zoneList(filter.tz).map((zone) => (
              <option key={zone} value={zone}>
                {zone.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-check">
          <input
            id="filter-internal"
            type="checkbox"
            checked={filter.internal}
            onChange={(event) => {
              onChange({ ...filter, internal: event.currentTarget.checked });
            }}
          />
          <label for="filter-internal">Include internal users</label>
        </div>
      </div>
      <div class="filter-row pickers">
        <MultiSelect
          id="filter-users"
          label="Users"
          options={userOptions(facets)}
          selected={filter.users}
          searchable
          unlisted={(id) => `user #${id}`}
          onChange={(users) => {
            onChange({ ...filter, users }, true);
          }}
        />
        <MultiSelect
          id="filter-actions"
          label="Actions"
          options={valueOptions(facets?.actions)}
          selected={filter.actions}
          searchable={(facets?.actions.length ?? 0) > 10}
          onChange={(actions) => {
            onChange({ ...filter, actions }, true);
          }}
        />
        <MultiSelect
          id="filter-types"
          label="Entity types"
          options={valueOptions(facets?.objectTypes)}
          selected={filter.types}
          searchable={(facets?.objectTypes.length ?? 0) > 10}
          onChange={(types) => {
            onChange({ ...filter, types }, true);
          }}
        />
      </div>
    </form>
  );
}
