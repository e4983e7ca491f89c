//! Covers: a window split into rollup ranges whose rows sum exactly to the window's count.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime};
use migration::rollup::{DAY, Grain, HOUR, QUARTER_HOUR};

use crate::filter::Filter;

/// A half-open UTC window in seconds since the epoch; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Window {
    pub fn of(filter: &Filter) -> Self {
        let seconds = |at: NaiveDateTime| at.and_utc().timestamp();
        Window { start: filter.utc_start().map(seconds), end: filter.utc_end().map(seconds) }
    }
}

/// Rows of one grain with `lo <= bucket < hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub grain: Grain,
    pub lo: Option<i64>,
    pub hi: Option<i64>,
}

pub(super) fn floor_to(seconds: i64, width: i64) -> i64 {
    seconds - seconds.rem_euclid(width)
}

pub(super) fn ceil_to(seconds: i64, width: i64) -> i64 {
    let floor = floor_to(seconds, width);
    if floor == seconds { floor } else { floor + width }
}

fn date_of(seconds: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(seconds, 0).map(|at| at.date_naive())
}

fn start_of(date: NaiveDate) -> i64 {
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

/// The start of the calendar month holding `seconds`.
fn floor_month(seconds: i64) -> Option<i64> {
    let date = date_of(seconds)?;
    Some(start_of(date.with_day(1)?))
}

/// The first month start at or after `seconds`.
fn ceil_month(seconds: i64) -> Option<i64> {
    let floor = floor_month(seconds)?;
    if floor == seconds { Some(floor) } else { Some(start_of(date_of(floor)?.checked_add_months(Months::new(1))?)) }
}

/// The end of the bucket of `grain` that starts at `bucket`.
pub(super) fn bucket_end(grain: Grain, bucket: i64) -> Option<i64> {
    match grain {
        Grain::QuarterHour => Some(bucket + QUARTER_HOUR),
        Grain::Day => Some(bucket + DAY),
        Grain::Hour => Some(bucket + HOUR),
        Grain::Month => Some(start_of(date_of(bucket)?.checked_add_months(Months::new(1))?)),
    }
}

/// Splits `window` (bounds on quarter hours) into ranges of buckets no coarser than `coarsest`
/// that together hold exactly the window's rows: the coarsest buckets that fit in the middle,
/// finer ones towards the ends.
pub fn cover(window: Window, coarsest: Grain) -> Vec<Range> {
    let mut ranges = Vec::new();
    let Window { start, end } = window;
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        return ranges;
    }
    if coarsest == Grain::QuarterHour {
        ranges.push(Range { grain: Grain::QuarterHour, lo: start, hi: end });
        return ranges;
    }
    let (day_lo, day_hi) = (start.map(|s| ceil_to(s, DAY)), end.map(|e| floor_to(e, DAY)));
    if let (Some(lo), Some(hi)) = (day_lo, day_hi)
        && lo >= hi
    {
        // Not one whole UTC day inside.
        ranges.push(Range { grain: Grain::QuarterHour, lo: start, hi: end });
        return ranges;
    }
    if let (Some(start), Some(lo)) = (start, day_lo)
        && start < lo
    {
        ranges.push(Range { grain: Grain::QuarterHour, lo: Some(start), hi: Some(lo) });
    }
    if let (Some(end), Some(hi)) = (end, day_hi)
        && hi < end
    {
        ranges.push(Range { grain: Grain::QuarterHour, lo: Some(hi), hi: Some(end) });
    }
    let month_lo = day_lo.and_then(ceil_month);
    let month_hi = day_hi.and_then(floor_month);
    let months_inside = match (month_lo, month_hi) {
        (Some(lo), Some(hi)) => lo < hi,
        _ => true,
    };
    if coarsest == Grain::Day || !months_inside {
        ranges.push(Range { grain: Grain::Day, lo: day_lo, hi: day_hi });
        return ranges;
    }
    if let (Some(lo), Some(month)) = (day_lo, month_lo)
        && lo < month
    {
        ranges.push(Range { grain: Grain::Day, lo: Some(lo), hi: Some(month) });
    }
    if let (Some(hi), Some(month)) = (day_hi, month_hi)
        && month < hi
    {
        ranges.push(Range { grain: Grain::Day, lo: Some(month), hi: Some(hi) });
    }
    ranges.push(Range { grain: Grain::Month, lo: month_lo, hi: month_hi });
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").map(|at| at.and_utc().timestamp()).unwrap_or(i64::MIN)
    }

    fn range(grain: Grain, lo: &str, hi: &str) -> Range {
        Range { grain, lo: Some(at(lo)), hi: Some(at(hi)) }
    }

    fn window(start: &str, end: &str) -> Window {
        Window { start: Some(at(start)), end: Some(at(end)) }
    }

    #[test]
    fn a_year_in_new_york_is_months_days_and_quarter_hours() {
        // 2025-07-01 … 2026-06-30 local at UTC-5.
        let ranges = cover(window("2025-07-01 05:00", "2026-07-01 05:00"), Grain::Month);
        assert_eq!(
            ranges,
            vec![
                range(Grain::QuarterHour, "2025-07-01 05:00", "2025-07-02 00:00"),
                range(Grain::QuarterHour, "2026-07-01 00:00", "2026-07-01 05:00"),
                range(Grain::Day, "2025-07-02 00:00", "2025-08-01 00:00"),
                range(Grain::Month, "2025-08-01 00:00", "2026-07-01 00:00"),
            ]
        );
    }

    #[test]
    fn a_utc_month_is_one_month_bucket() {
        let ranges = cover(window("2026-02-01 00:00", "2026-03-01 00:00"), Grain::Month);
        assert_eq!(ranges, vec![range(Grain::Month, "2026-02-01 00:00", "2026-03-01 00:00")]);
    }

    #[test]
    fn a_window_without_a_whole_day_is_quarter_hours() {
        // One local day in India: 18:30 to 18:30 UTC.
        let ranges = cover(window("2026-03-01 18:30", "2026-03-02 18:30"), Grain::Month);
        assert_eq!(ranges, vec![range(Grain::QuarterHour, "2026-03-01 18:30", "2026-03-02 18:30")]);
        let inside_a_day = cover(window("2026-03-01 01:00", "2026-03-01 02:00"), Grain::Month);
        assert_eq!(inside_a_day, vec![range(Grain::QuarterHour, "2026-03-01 01:00", "2026-03-01 02:00")]);
    }

    #[test]
    fn days_without_a_whole_month_and_leap_day() {
        let ranges = cover(window("2024-02-10 00:00", "2024-03-01 00:00"), Grain::Month);
        assert_eq!(ranges, vec![range(Grain::Day, "2024-02-10 00:00", "2024-03-01 00:00")]);
        let ranges = cover(window("2024-02-29 00:00", "2024-04-02 00:00"), Grain::Month);
        assert_eq!(
            ranges,
            vec![
                range(Grain::Day, "2024-02-29 00:00", "2024-03-01 00:00"),
                range(Grain::Day, "2024-04-01 00:00", "2024-04-02 00:00"),
                range(Grain::Month, "2024-03-01 00:00", "2024-04-01 00:00"),
            ]
        );
    }

    #[test]
    fn open_windows_reach_to_the_end_of_the_log() {
        let all = cover(Window { start: None, end: None }, Grain::Month);
        assert_eq!(all, vec![Range { grain: Grain::Month, lo: None, hi: None }]);
        let since = cover(Window { start: Some(at("2026-03-14 23:00")), end: None }, Grain::Month);
        assert_eq!(
            since,
            vec![
                range(Grain::QuarterHour, "2026-03-14 23:00", "2026-03-15 00:00"),
                range(Grain::Day, "2026-03-15 00:00", "2026-04-01 00:00"),
                Range { grain: Grain::Month, lo: Some(at("2026-04-01 00:00")), hi: None },
            ]
        );
    }

    #[test]
    fn finer_covers_for_the_seek() {
        let days = cover(window("2026-03-01 00:00", "2026-04-01 00:00"), Grain::Day);
        assert_eq!(days, vec![range(Grain::Day, "2026-03-01 00:00", "2026-04-01 00:00")]);
        let quarters = cover(window("2026-03-01 00:00", "2026-03-02 00:00"), Grain::QuarterHour);
        assert_eq!(quarters, vec![range(Grain::QuarterHour, "2026-03-01 00:00", "2026-03-02 00:00")]);
        assert!(cover(window("2026-03-02 00:00", "2026-03-02 00:00"), Grain::Month).is_empty());
    }

    #[test]
    fn month_boundaries() {
        assert_eq!(ceil_month(at("2026-01-31 00:00")), Some(at("2026-02-01 00:00")));
        assert_eq!(ceil_month(at("2026-02-01 00:00")), Some(at("2026-02-01 00:00")));
        assert_eq!(floor_month(at("2024-02-29 00:00")), Some(at("2024-02-01 00:00")));
        assert_eq!(bucket_end(Grain::Month, at("2024-02-01 00:00")), Some(at("2024-03-01 00:00")));
        assert_eq!(floor_to(-1, DAY), -DAY);
    }
}
