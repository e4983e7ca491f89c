// The chart itself: user and system actions stacked per bucket, drawn by uPlot on a canvas.
// uPlot has no stacking of its own, so each bucket draws its total (in the system colour) and
// then its user actions over it: what shows of the total above the user bar is the system part.
// The canvas is an image to assistive technology; the table beside it is its text alternative.

import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartInterval, DashboardQuery } from '../generated/graphql';
import { bucketLabel, bucketTitle, formatCount } from '../lib/format';

export type Bucket = DashboardQuery['activityInsights']['chart'][number];

interface Props {
  buckets: Bucket[];
  interval: ChartInterval;
  timeZone: string;
  label: string;
  onSelect: (bucket: Bucket) => void;
}

const DARK = '(prefers-color-scheme: dark)';

/** Re-draws the canvas when the colour scheme changes: canvas colours do not follow CSS. */
function usePrefersDark(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia(DARK).matches);
  useEffect(() => {
    const query = window.matchMedia(DARK);
    const update = (): void => {
      setDark(query.matches);
    };
    query.addEventListener('change', update);
    return () => {
      query.removeEventListener('change', update);
    };
  }, []);
  return dark;
}

function heightFor(width: number): number {
  return width < 480 ? 200 : 260;
}

export function StackedBars({ buckets, interval, timeZone, label, onSelect }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  // The click handler outlives renders; it reads the newest callback from here.
  const select = useRef(onSelect);
  select.current = onSelect;
  const dark = usePrefersDark();

  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const css = getComputedStyle(el);
    const color = (name: string): string => css.getPropertyValue(name).trim();
    const labels = buckets.map((b) => bucketLabel(interval, b.firstDay, b.start, timeZone));
    const bars = uPlot.paths.bars?.({ size: [0.8, 48], gap: 1 });
    const axis = { stroke: color('--chart-text'), grid: { stroke: color('--chart-grid'), width: 1 }, ticks: { show: false } };

    const width = Math.max(el.clientWidth, 200);
    const plot = new uPlot(
      {
        width,
        height: heightFor(width),
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false }, y: false },
        scales: {
          x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          {
            ...axis,
            grid: { show: false },
            size: 32,
            space: 56,
            incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 48, 96],
            values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? '') : '')),
          },
          { ...axis, size: 56, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? formatCount(v) : '')) },
        ],
        series: [
          {},
          { label: 'System actions', fill: color('--chart-system'), stroke: color('--chart-system'), width: 0, points: { show: false }, ...(bars ? { paths: bars } : {}) },
          { label: 'User actions', fill: color('--chart-user'), stroke: color('--chart-user'), width: 0, points: { show: false }, ...(bars ? { paths: bars } : {}) },
        ],
        hooks: {
          setCursor: [
            (u) => {
              const i = u.cursor.idx;
              const b = i === null || i === undefined ? undefined : buckets[i];
              if (readout.current) {
                readout.current.textContent = b
                  ? `${bucketTitle(interval, b.firstDay, b.lastDay, b.start, timeZone)}: ${formatCount(b.userCount)} user, ${formatCount(b.systemCount)} system`
                  : '';
              }
            },
          ],
        },
      },
      [buckets.map((_, i) => i), buckets.map((b) => b.userCount + b.systemCount), buckets.map((b) => b.userCount)],
      el,
    );

    const onClick = (): void => {
      const i = plot.cursor.idx;
      const bucket = i === null || i === undefined ? undefined : buckets[i];
      if (bucket) select.current(bucket);
    };
    plot.over.addEventListener('click', onClick);
    const resize = new ResizeObserver(() => {
      const w = Math.max(el.clientWidth, 200);
      if (w !== plot.width) plot.setSize({ width: w, height: heightFor(w) });
    });
    resize.observe(el);

    return () => {
      resize.disconnect();
      plot.over.removeEventListener('click', onClick);
      plot.destroy();
    };
  }, [buckets, interval, timeZone, dark]);

  return (
    <>
      <div ref={host} class="chart-canvas" role="img" aria-label={label} />
      <p ref={readout} class="chart-readout" aria-hidden="true" />
    </>
  );
}
