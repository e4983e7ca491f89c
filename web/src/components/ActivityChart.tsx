// The chart panel: heading, the Interval choice, the legend, the chart and its data table.
// Clicking a bucket (on the chart, or its button in the table) narrows the window to it.

import type { ChartInterval, DashboardQuery } from '../generated/graphql';
import { INTERVALS, type IntervalChoice } from '../lib/filter';
import { bucketTitle, chartLabel, formatCount } from '../lib/format';
import { StackedBars, type Bucket } from './StackedBars';

interface Props {
  insights: DashboardQuery['activityInsights'] | null;
  /** The interval and the zone the insights were fetched in. */
  shownInterval: ChartInterval | null;
  timeZone: string;
  /** The Interval control's value (the filter being edited). */
  interval: IntervalChoice;
  hourAllowed: boolean;
  onIntervalChange: (interval: IntervalChoice) => void;
  onSelectBucket: (firstDay: string, lastDay: string) => void;
}

const INTERVAL_LABELS: Record<IntervalChoice, string> = {
  auto: 'Auto',
  hour: 'Hour',
  day: 'Day',
  week: 'Week',
  month: 'Month',
  quarter: 'Quarter',
};

export function ActivityChart({
  insights,
  shownInterval,
  timeZone,
  interval,
  hourAllowed,
  onIntervalChange,
  onSelectBucket,
}: Props) {
  const buckets = insights?.chart ?? [];
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const select = (b: Bucket): void => {
    onSelectBucket(b.firstDay, b.lastDay);
  };

  return (
    <section class="panel chart-panel" aria-labelledby="chart-title">
      <div class="panel-head">
        <h2 id="chart-title">Activity over time</h2>
        <div class="field field-inline">
          <label for="chart-interval">Interval</label>
          <select
            id="chart-interval"
            value={interval}
            onChange={(event) => {
              onIntervalChange(event.currentTarget.value as IntervalChoice);
            }}
          >
            {INTERVALS.map((i) => (
              <option key={i} value={i} disabled={i === 'hour' && !hourAllowed}>
                {INTERVAL_LABELS[i]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ul class="legend">
        <li>
          <span class="swatch swatch-user" aria-hidden="true" />
          User actions
        </li>
        <li>
          <span class="swatch swatch-system" aria-hidden="true" />
          System actions
        </li>
      </ul>
      {insights === null || shownInterval === null || !first || !last ? (
        <div class="chart-canvas chart-placeholder" role="img" aria-label="Activity chart: loading" />
      ) : (
        <>
          {insights.totalActions === 0 && <p class="empty">No actions in this window</p>}
          <StackedBars
            buckets={buckets}
            interval={shownInterval}
            timeZone={timeZone}
            label={chartLabel(insights.totalActions, shownInterval, first.firstDay, last.lastDay)}
            onSelect={select}
          />
          <details class="chart-data">
            <summary>Chart data</summary>
            <p class="hint">Choose a bucket to narrow the window to it.</p>
            <div class="table-scroll">
              <table>
                <caption class="visually-hidden">Chart data</caption>
                <thead>
                  <tr>
                    <th scope="col">Bucket</th>
                    <th scope="col" class="num">User</th>
                    <th scope="col" class="num">System</th>
                  </tr>
                </thead>
                <tbody>
                  {buckets.map((b) => (
                    <tr key={b.start}>
                      <th scope="row">
                        <button
                          type="button"
                          class="link"
                          onClick={() => {
                            select(b);
                          }}
                        >
                          {bucketTitle(shownInterval, b.firstDay, b.lastDay, b.start, timeZone)}
                        </button>
                      </th>
                      <td class="num">{formatCount(b.userCount)}</td>
                      <td class="num">{formatCount(b.systemCount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
