//! Covers: a window split into rollup ranges whose rows sum exactly to the window's count.

use audit_rollup::{DAY, Grain, HOUR, QUARTER_HOUR};
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime};
use sea_orm::DbErr;

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

/// A cover that may subtract: the rows of `add` minus those of `subtract` are exactly the window's.
/// Sums (totals, actors, facets) read it; the seek, which walks buckets, reads [`cover`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignedCover {
    pub add: Vec<Range>,
    pub subtract: Vec<Range>,
}

impl SignedCover {
    /// Ranges that are only added.
    pub fn of(add: Vec<Range>) -> Self {
        SignedCover { add, subtract: Vec::new() }
    }

    /// Every range, added or subtracted: the rows to read.
    pub fn all(&self) -> Vec<Range> {
        self.add.iter().chain(&self.subtract).copied().collect()
    }
}

/// Like [`cover`] to months, but an end of the window late in its month is read as that month
/// minus the days after the end, and an end late in its day as that day minus the quarter hours
/// after it (mirrored at the start), whichever has fewer buckets. Each bucket is a row per user in
/// the per-user tables: a year up to the 26th reads one month row and four day rows per user
/// instead of 25 day rows, and a year in Berlin (local midnight 22:00 UTC in summer) a month, a
/// day and 8 quarter hours instead of 29 days and 88 quarter hours.
pub fn signed_cover(window: Window) -> SignedCover {
    let plain = || SignedCover { add: cover(window, Grain::Month), subtract: Vec::new() };
    let (Some(start), Some(end)) = (window.start, window.end) else { return plain() };
    let (day_lo, day_hi) = (ceil_to(start, DAY), floor_to(end, DAY));
    if day_lo >= day_hi {
        return plain();
    }
    let (Some(month_lo), Some(month_hi)) = (ceil_month(day_lo), floor_month(day_hi)) else { return plain() };
    let mut signed = SignedCover::default();
    // The middle: whole months, or whole days when no month fits.
    let (inner_lo, inner_hi) = if month_lo < month_hi {
        signed.add.push(Range { grain: Grain::Month, lo: Some(month_lo), hi: Some(month_hi) });
        (month_lo, month_hi)
    } else {
        signed.add.push(Range { grain: Grain::Day, lo: Some(day_lo), hi: Some(day_hi) });
        (day_lo, day_hi)
    };
    // `[start, inner_lo)`: days `[day_lo, inner_lo)` and quarter hours `[start, day_lo)`, or the
    // month holding `start` minus what precedes `start` in it.
    let months_inside = month_lo < month_hi;
    match floor_month(start) {
        Some(month) if months_inside && month < start && 1 + edge_cost(month, start) < edge_cost(start, inner_lo) => {
            signed.add.push(Range { grain: Grain::Month, lo: Some(month), hi: Some(inner_lo) });
            push_span(&mut signed.subtract, &mut signed.add, month, start);
        }
        _ => push_span(&mut signed.add, &mut signed.subtract, start, inner_lo),
    }
    // `[inner_hi, end)`, mirrored: or the month holding `end` minus what follows `end` in it.
    let next_month = if months_inside { bucket_end(Grain::Month, inner_hi) } else { None };
    match next_month {
        Some(next) if inner_hi < end && end < next && 1 + edge_cost(end, next) < edge_cost(inner_hi, end) => {
            signed.add.push(Range { grain: Grain::Month, lo: Some(inner_hi), hi: Some(next) });
            push_span(&mut signed.subtract, &mut signed.add, end, next);
        }
        _ => push_span(&mut signed.add, &mut signed.subtract, inner_hi, end),
    }
    signed
}

/// Buckets read for `[lo, hi)` (inside one month, `lo` or `hi` on a day or month boundary) by
/// [`push_span`].
fn edge_cost(lo: i64, hi: i64) -> i64 {
    let (day_lo, day_hi) = (ceil_to(lo, DAY), floor_to(hi, DAY));
    if day_lo > day_hi {
        return quarter_cost(lo, hi);
    }
    (day_hi - day_lo) / DAY + quarter_cost(lo, day_lo) + quarter_cost(day_hi, hi)
}

/// Buckets read for `[lo, hi)`, less than a day: its quarter hours, or the day minus the others.
fn quarter_cost(lo: i64, hi: i64) -> i64 {
    let quarters = (hi - lo) / QUARTER_HOUR;
    quarters.min(1 + (DAY / QUARTER_HOUR - quarters))
}

/// Adds `[lo, hi)` (inside one month) to `into` as whole days and quarter hours, where a stretch of
/// quarter hours inside one day may instead be that day minus its other quarter hours (those go to
/// `against`).
fn push_span(into: &mut Vec<Range>, against: &mut Vec<Range>, lo: i64, hi: i64) {
    if lo >= hi {
        return;
    }
    let (day_lo, day_hi) = (ceil_to(lo, DAY), floor_to(hi, DAY));
    if day_lo > day_hi {
        // Inside one day.
        push_quarters(into, against, lo, hi);
        return;
    }
    push_quarters(into, against, lo, day_lo);
    if day_lo < day_hi {
        into.push(Range { grain: Grain::Day, lo: Some(day_lo), hi: Some(day_hi) });
    }
    push_quarters(into, against, day_hi, hi);
}

/// Adds `[lo, hi)`, inside one day, as its quarter hours or as the day minus the rest of it.
fn push_quarters(into: &mut Vec<Range>, against: &mut Vec<Range>, lo: i64, hi: i64) {
    if lo >= hi {
        return;
    }
    let quarters = (hi - lo) / QUARTER_HOUR;
    if quarters <= 1 + (DAY / QUARTER_HOUR - quarters) {
        into.push(Range { grain: Grain::QuarterHour, lo: Some(lo), hi: Some(hi) });
        return;
    }
    let day = floor_to(lo, DAY);
    into.push(Range { grain: Grain::Day, lo: Some(day), hi: Some(day + DAY) });
    if day < lo {
        against.push(Range { grain: Grain::QuarterHour, lo: Some(day), hi: Some(lo) });
    }
    if hi < day + DAY {
        against.push(Range { grain: Grain::QuarterHour, lo: Some(hi), hi: Some(day + DAY) });
    }
}

/// The UTC instant `seconds` after the epoch.
pub(super) fn instant(seconds: i64) -> Result<NaiveDateTime, DbErr> {
    DateTime::from_timestamp(seconds, 0)
        .map(|at| at.naive_utc())
        .ok_or_else(|| DbErr::Custom(format!("instant {seconds} s out of range")))
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
    fn a_year_in_berlin_subtracts_the_last_two_hours_of_june() {
        // 2025-07-01 … 2026-06-30 local at UTC+2.
        let signed = signed_cover(window("2025-06-30 22:00", "2026-06-30 22:00"));
        assert_eq!(
            signed.add,
            vec![
                range(Grain::Month, "2025-07-01 00:00", "2026-06-01 00:00"),
                range(Grain::QuarterHour, "2025-06-30 22:00", "2025-07-01 00:00"),
                range(Grain::Month, "2026-06-01 00:00", "2026-07-01 00:00"),
            ]
        );
        assert_eq!(signed.subtract, vec![range(Grain::QuarterHour, "2026-06-30 22:00", "2026-07-01 00:00")]);
    }

    #[test]
    fn a_year_up_to_the_26th_is_the_month_minus_four_days() {
        let signed = signed_cover(window("2025-11-27 00:00", "2026-11-27 00:00"));
        assert_eq!(
            signed.add,
            vec![
                range(Grain::Month, "2025-12-01 00:00", "2026-11-01 00:00"),
                range(Grain::Day, "2025-11-27 00:00", "2025-12-01 00:00"),
                range(Grain::Month, "2026-11-01 00:00", "2026-12-01 00:00"),
            ]
        );
        assert_eq!(signed.subtract, vec![range(Grain::Day, "2026-11-27 00:00", "2026-12-01 00:00")]);
    }

    #[test]
    fn a_signed_cover_holds_each_quarter_hour_of_the_window_once() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(2_026);
        // Windows on quarter hours across 2023–2025, over month, year and leap-day boundaries.
        let base = at("2023-01-01 00:00") / QUARTER_HOUR;
        for _ in 0..300 {
            let start = base + rng.random_range(0..3 * 35_040);
            let end = start + rng.random_range(0..500 * 96);
            let signed = signed_cover(Window { start: Some(start * QUARTER_HOUR), end: Some(end * QUARTER_HOUR) });
            // How often each quarter hour from two months before to two months after is held.
            let (from, to) = (start - 62 * 96, end + 62 * 96);
            let mut held = vec![0_i64; usize::try_from(to - from).unwrap_or(0)];
            for (ranges, sign) in [(&signed.add, 1), (&signed.subtract, -1)] {
                for range in ranges {
                    let (lo, hi) = (range.lo.unwrap_or(0) / QUARTER_HOUR, range.hi.unwrap_or(0) / QUARTER_HOUR);
                    assert!(from <= lo && hi <= to, "{range:?} far outside the window");
                    for q in lo..hi {
                        held[usize::try_from(q - from).unwrap_or(0)] += sign;
                    }
                }
            }
            for (q, n) in (from..).zip(&held) {
                let expected = i64::from((start..end).contains(&q));
                assert_eq!(*n, expected, "quarter hour {q} in window {start}..{end}: {signed:?}");
            }
            // Never more buckets than the plain cover's.
            let count = |ranges: &[Range]| -> i64 {
                ranges
                    .iter()
                    .map(|r| match r.grain {
                        Grain::Month => 12 * (r.hi.unwrap_or(0) - r.lo.unwrap_or(0)) / (365 * DAY) + 1,
                        Grain::Day => (r.hi.unwrap_or(0) - r.lo.unwrap_or(0)) / DAY,
                        _ => (r.hi.unwrap_or(0) - r.lo.unwrap_or(0)) / QUARTER_HOUR,
                    })
                    .sum()
            };
            let plain =
                cover(Window { start: Some(start * QUARTER_HOUR), end: Some(end * QUARTER_HOUR) }, Grain::Month);
            assert!(count(&signed.all()) <= count(&plain) + 2, "{signed:?} against {plain:?}");
        }
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
