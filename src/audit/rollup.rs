//! The fast path: figures read from the trigger-maintained rollups (`migration::rollup` owns the
//! tables and explains how they stay exact) instead of from every activity in the window.
//!
//! A window `[start, end)` in UTC seconds is split into a **cover**: whole calendar months in the
//! middle, whole UTC days around them, and 15-minute buckets at the two ragged ends (a local
//! midnight falls on a quarter hour whenever the offset is a multiple of 15 minutes). Summing the
//! cover's rows gives exactly the count over the window. The chart needs a count per *local* day,
//! which in general contains no whole UTC day; it is the UTC day nearest to it, minus the quarter
//! hours at one end plus those at the other (see [`push_chart`]).
//!
//! What the rollups cannot answer goes to the plain path in `insights.rs`/`list.rs`, which is also
//! the reference the differential tests compare against:
//! offsets that are not a multiple of 15 minutes (no real time zone has one today). Under a
//! `users` filter the figures come from the per-user tables, and the top entity type from a per-user
//! table of whole days and months plus those users' own rows at the window's ragged ends.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime};
use migration::rollup::{DAY, Grain, HOUR, QUARTER_HOUR};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::insights::{FigureRow, Insights, assemble};
use super::sql::Sql;
use crate::filter::Filter;

/// Whether the rollups can answer figures for `filter`: every window bound on a quarter hour.
pub fn covers(filter: &Filter) -> bool {
    filter.offset_minutes % 15 == 0
}

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

fn floor_to(seconds: i64, width: i64) -> i64 {
    seconds - seconds.rem_euclid(width)
}

fn ceil_to(seconds: i64, width: i64) -> i64 {
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
fn bucket_end(grain: Grain, bucket: i64) -> Option<i64> {
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

/// Which rollup a count over the filter's scope reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `audit_rollup_time`: no `users` filter.
    Time,
    /// `audit_rollup_user` (or `audit_rollup_actor` without an `actions` filter), joined to
    /// `users` for `include_internal`.
    Users,
}

impl Source {
    fn of(filter: &Filter) -> Self {
        if filter.users.is_empty() { Source::Time } else { Source::Users }
    }

    fn table(self, filter: &Filter) -> &'static str {
        match self {
            Source::Time => "audit_rollup_time",
            Source::Users => user_table(filter),
        }
    }

    /// What follows `FROM table r`.
    fn join(self) -> &'static str {
        match self {
            Source::Time => "",
            Source::Users => " LEFT JOIN users u ON u.id = r.user_id",
        }
    }

    /// 1 for a system action: stored in the time table, looked up for the per-user ones.
    fn is_system(self) -> &'static str {
        match self {
            Source::Time => "r.is_system",
            Source::Users => "CASE WHEN u.is_internal THEN 1 ELSE 0 END",
        }
    }
}

/// The per-user rollup for `filter`: the one without verbs is a fraction of the size.
fn user_table(filter: &Filter) -> &'static str {
    if filter.actions.is_empty() { "audit_rollup_actor" } else { "audit_rollup_user" }
}

impl Sql {
    /// Writes `(… OR …)` selecting the rows of `ranges` in the rollup aliased `r`.
    fn push_ranges(&mut self, ranges: &[Range]) -> &mut Self {
        if ranges.is_empty() {
            return self.push("(1 = 0)");
        }
        self.push("(");
        for (i, range) in ranges.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push(&format!("(r.grain = {}", range.grain as i64));
            if let Some(lo) = range.lo {
                self.push(&format!(" AND r.bucket >= {lo}"));
            }
            if let Some(hi) = range.hi {
                self.push(&format!(" AND r.bucket < {hi}"));
            }
            self.push(")");
        }
        self.push(")")
    }

    /// Writes the ` AND …` conditions of the filter's `actions`, `users` and `include_internal` on
    /// rollup rows aliased `r` (with `u` joined for [`Source::Users`]). The entity table has the
    /// time table's columns, the per-user entity table the per-user tables'.
    fn push_rollup_filters(&mut self, source: Source, filter: &Filter) -> &mut Self {
        if !filter.actions.is_empty() {
            self.push(" AND r.verb IN ").bind_list(&filter.actions);
        }
        if source == Source::Users {
            self.push(" AND r.user_id IN ").bind_list(&filter.users);
        }
        if !filter.include_internal {
            match source {
                Source::Time => self.push(" AND r.is_system = 0"),
                Source::Users => self.push(" AND (u.is_internal IS NULL OR NOT u.is_internal)"),
            };
        }
        self
    }

    /// Writes `FROM … WHERE …` over the rollup rows of `ranges` in the filter's scope.
    fn push_rollup_scope(&mut self, source: Source, filter: &Filter, ranges: &[Range]) -> &mut Self {
        self.push(&format!(" FROM {} r{} WHERE ", source.table(filter), source.join()))
            .push_ranges(ranges)
            .push_rollup_filters(source, filter)
    }
}

#[derive(FromQueryResult)]
struct Count {
    total: i64,
}

/// The number of activities in the filter's scope; the filter must be [`covers`]-able.
pub async fn count(db: &DatabaseConnection, filter: &Filter) -> Result<i64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(COALESCE(SUM(r.n), 0) AS BIGINT) AS total").push_rollup_scope(
        Source::of(filter),
        filter,
        &cover(Window::of(filter), Grain::Month),
    );
    Ok(Count::find_by_statement(sql.into_statement()).one(db).await?.map_or(0, |row| row.total))
}

/// Where a page starting `skip` rows into the scope (newest first) is: the `skip`-th row is the
/// row `skip_within` rows into the scope's rows issued before `before`, and (when `from` is known)
/// the page ends at or after `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seek {
    At { from: Option<NaiveDateTime>, before: NaiveDateTime, skip_within: i64 },
    PastEnd,
}

#[derive(FromQueryResult)]
struct Segment {
    grain: i64,
    bucket: i64,
    n: i64,
}

/// The non-empty buckets of `ranges` in the filter's scope with their counts, newest first.
async fn segments(db: &DatabaseConnection, filter: &Filter, ranges: &[Range]) -> Result<Vec<Segment>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(r.grain AS BIGINT) AS grain, r.bucket AS bucket, CAST(SUM(r.n) AS BIGINT) AS n")
        .push_rollup_scope(Source::of(filter), filter, ranges)
        .push(" GROUP BY r.grain, r.bucket HAVING SUM(r.n) > 0 ORDER BY r.bucket DESC");
    Segment::find_by_statement(sql.into_statement()).all(db).await
}

fn grain_of(segment: &Segment) -> Result<Grain, DbErr> {
    // Covers hold quarter hours, days and months only.
    match segment.grain {
        0 => Ok(Grain::QuarterHour),
        1 => Ok(Grain::Day),
        2 => Ok(Grain::Month),
        other => Err(DbErr::Custom(format!("unexpected rollup grain {other} in a seek"))),
    }
}

/// The end of `segment`'s bucket, within the window.
fn segment_end(segment: &Segment, window: Window) -> Result<i64, DbErr> {
    let end = bucket_end(grain_of(segment)?, segment.bucket)
        .ok_or_else(|| DbErr::Custom(format!("rollup bucket {} out of range", segment.bucket)))?;
    Ok(window.end.map_or(end, |window_end| window_end.min(end)))
}

fn instant(seconds: i64) -> Result<NaiveDateTime, DbErr> {
    DateTime::from_timestamp(seconds, 0)
        .map(|at| at.naive_utc())
        .ok_or_else(|| DbErr::Custom(format!("instant {seconds} s out of range")))
}

/// The span holding rows `skip .. skip + size` of the scope, newest first: the months, then the
/// days, holding the page's first and last rows, found by walking the rollup counts (two small
/// statements for a page inside one month). Bounding the page query by it on both sides means a
/// planner reads a day or two of rows, whichever index it picks.
pub async fn seek_page(db: &DatabaseConnection, filter: &Filter, skip: i64, size: i64) -> Result<Seek, DbErr> {
    let window = Window::of(filter);
    let mut ranges = cover(window, Grain::Month);
    let mut skip = skip;
    loop {
        let segments = segments(db, filter, &ranges).await?;
        let (mut seen, mut before_first) = (0, 0);
        let (mut first, mut last) = (None, None);
        for segment in &segments {
            if first.is_none() && seen + segment.n > skip {
                first = Some(segment);
                before_first = seen;
            }
            seen += segment.n;
            if first.is_some() && seen >= skip + size {
                last = Some(segment);
                break;
            }
        }
        let Some(first) = first else { return Ok(Seek::PastEnd) };
        let end = segment_end(first, window)?;
        let within = skip - before_first;
        let same = last.is_some_and(|last| last.bucket == first.bucket);
        if same && grain_of(first)? == Grain::Month {
            // The whole page is in one month: look at its days.
            let start = window.start.map_or(first.bucket, |window_start| window_start.max(first.bucket));
            ranges = cover(Window { start: Some(start), end: Some(end) }, Grain::Day);
            skip = within;
            continue;
        }
        // `last` is `None` when the page runs to the oldest row.
        let from = last.map(|last| instant(last.bucket)).transpose()?;
        return Ok(Seek::At { from, before: instant(end)?, skip_within: within });
    }
}

/// Finds the quarter hour holding the `skip`-th row of the scope by walking the rollups' counts
/// newest first, from months down to days down to quarter hours: at most three small statements
/// instead of stepping over `skip` rows.
pub async fn seek(db: &DatabaseConnection, filter: &Filter, skip: i64) -> Result<Seek, DbErr> {
    let window = Window::of(filter);
    let mut ranges = cover(window, Grain::Month);
    let mut skip = skip;
    loop {
        let segments = segments(db, filter, &ranges).await?;
        let Some(segment) = segments.into_iter().find(|segment| {
            let inside = segment.n > skip;
            if !inside {
                skip -= segment.n;
            }
            inside
        }) else {
            return Ok(Seek::PastEnd);
        };
        let grain = grain_of(&segment)?;
        let end = segment_end(&segment, window)?;
        if grain == Grain::QuarterHour {
            return Ok(Seek::At { from: None, before: instant(end)?, skip_within: skip });
        }
        let start = window.start.map_or(segment.bucket, |window_start| window_start.max(segment.bucket));
        let finer = if grain == Grain::Month { Grain::Day } else { Grain::QuarterHour };
        ranges = cover(Window { start: Some(start), end: Some(end) }, finer);
    }
}

/// Every figure for `filter` (closed window, [`covers`]) in one statement over the
/// rollups, in the row shape the plain path uses:
/// - the chart from `audit_rollup_time`, or under a `users` filter from the per-user table;
/// - the actors from `audit_rollup_actor` (`audit_rollup_user` under an `actions` filter);
/// - the top entity type from `audit_rollup_entity`, or under a `users` filter from
///   `audit_rollup_user_entity` for whole days plus those users' own rows at the ragged ends.
pub async fn insights(db: &DatabaseConnection, filter: &Filter) -> Result<Insights, DbErr> {
    let days = filter.days();
    let window = Window::of(filter);
    let start = window.start.ok_or_else(|| DbErr::Custom("insights need a closed window".into()))?;
    let day_count = i64::try_from(days.len()).map_err(|_| DbErr::Custom("window too long".into()))?;
    let ranges = cover(window, Grain::Month);
    let source = Source::of(filter);

    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    sql.push("WITH RECURSIVE ");
    push_chart(&mut sql, source, filter, start, day_count);
    sql.push(&format!(
        ", per_user AS (SELECT r.user_id AS user_id, SUM(r.n) AS n FROM {} r WHERE ",
        user_table(filter)
    ))
    .push_ranges(&ranges);
    if !filter.actions.is_empty() {
        sql.push(" AND r.verb IN ").bind_list(&filter.actions);
    }
    if source == Source::Users {
        sql.push(" AND r.user_id IN ").bind_list(&filter.users);
    }
    sql.push(" GROUP BY r.user_id HAVING SUM(r.n) > 0) ");
    sql.push(&format!(
        "SELECT 'day' AS figure, k, CAST(NULL AS TEXT) AS name, CAST(SUM(n) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN is_system = 1 THEN n ELSE 0 END) AS BIGINT) AS m \
         FROM chart WHERE k >= 0 AND k < {day_count} GROUP BY k \
         UNION ALL \
         SELECT 'actors', CAST(NULL AS BIGINT), CAST(NULL AS TEXT), COUNT(*), 0 \
         FROM per_user p JOIN users u ON u.id = p.user_id WHERE NOT u.is_internal \
         UNION ALL \
         SELECT * FROM (SELECT 'top_actor', p.user_id, CAST(NULL AS TEXT), CAST(p.n AS BIGINT) AS n, 0 \
         FROM per_user p JOIN users u ON u.id = p.user_id{internal} ORDER BY p.n DESC, p.user_id ASC LIMIT 1) AS top_actor \
         UNION ALL \
         SELECT * FROM (SELECT 'top_entity', CAST(NULL AS BIGINT), e.object_type, CAST(SUM(e.n) AS BIGINT) AS n, 0 \
         FROM (",
        internal = if filter.include_internal { "" } else { " WHERE NOT u.is_internal" },
    ));
    push_entity_counts(&mut sql, source, filter, &ranges)?;
    sql.push(") AS e GROUP BY e.object_type HAVING SUM(e.n) > 0 ORDER BY n DESC, e.object_type ")
        .push(byte_order)
        .push(" ASC LIMIT 1) AS top_entity");

    let rows = FigureRow::find_by_statement(sql.into_statement()).all(db).await?;
    assemble(&days, rows)
}

/// Writes a query of `(object_type, n)` rows whose sums per object type are the counts over
/// `ranges` in the filter's scope.
fn push_entity_counts(sql: &mut Sql, source: Source, filter: &Filter, ranges: &[Range]) -> Result<(), DbErr> {
    sql.push("SELECT r.object_type AS object_type, r.n AS n FROM ");
    match source {
        Source::Time => {
            sql.push("audit_rollup_entity r WHERE ").push_ranges(ranges).push_rollup_filters(Source::Time, filter);
        }
        Source::Users => {
            // This table has no quarter hours: the ragged ends are counted from the log, where the
            // users' own rows are found through `ix_transaction_user_id_issued_at`.
            let (quarters, whole): (Vec<Range>, Vec<Range>) =
                ranges.iter().partition(|range| range.grain == Grain::QuarterHour);
            sql.push("audit_rollup_user_entity r LEFT JOIN users u ON u.id = r.user_id WHERE ")
                .push_ranges(&whole)
                .push_rollup_filters(Source::Users, filter);
            if !quarters.is_empty() {
                // An insights window is closed, so are its ranges.
                let bound = |seconds: Option<i64>| {
                    seconds.ok_or_else(|| DbErr::Custom("an open range in an insights window".into())).and_then(instant)
                };
                let spans = quarters.iter().map(|range| Ok((bound(range.lo)?, bound(range.hi)?))).collect::<Result<
                    Vec<_>,
                    DbErr,
                >>(
                )?;
                sql.push(" UNION ALL SELECT a.object_type, COUNT(*)")
                    .push_scope_within(filter, &spans)
                    .push(" GROUP BY a.object_type");
            }
        }
    }
    Ok(())
}

/// Writes the CTEs that end in `chart(k, is_system, n)`: signed counts whose sum per local day
/// index `k` is that day's count.
///
/// Local day `k` is `[start + k·DAY, start + (k+1)·DAY)`. Let `base` be the UTC midnight nearest
/// to `start` and `shift = start - base` (|shift| ≤ 12 h), and `B_j = base + j·DAY`. Then local day
/// `k` is UTC day `B_k` with the quarter hours between the two midnights moved:
/// - `shift > 0`: day `k` = day row `B_k` − `[B_k, B_k + shift)` + `[B_{k+1}, B_{k+1} + shift)`;
/// - `shift < 0`: day `k` = day row `B_k` + `[B_k + shift, B_k)` − `[B_{k+1} + shift, B_{k+1})`.
///
/// So the quarter hours of `[B_j + min(shift, 0), B_j + max(shift, 0))` count `∓1` for day `j` and
/// `±1` for day `j - 1`. They are read range by range (a join with the day numbers, so each range
/// is an index range scan): at most 12 hours a day, as whole hours from the time table's hour grain
/// plus up to three quarter hours (the per-user tables have quarter hours only).
fn push_chart(sql: &mut Sql, source: Source, filter: &Filter, start: i64, day_count: i64) {
    let midnight = floor_to(start, DAY);
    let (base, shift) = if start - midnight <= DAY / 2 {
        (midnight, start - midnight)
    } else {
        (midnight + DAY, start - midnight - DAY)
    };
    let end = base + day_count * DAY;
    let sign = shift.signum();
    let is_system = source.is_system();
    if shift != 0 {
        // The moved span `[lo, hi)` relative to each UTC midnight, in whole hours where the time
        // table has them (a quarter of the rows) and quarter hours for the rest.
        let (lo, hi) = (shift.min(0), shift.max(0));
        let mut spans = Vec::new();
        if source == Source::Time {
            let (hours_lo, hours_hi) = if shift > 0 { (0, floor_to(hi, HOUR)) } else { (ceil_to(lo, HOUR), 0) };
            spans.push((Grain::Hour, hours_lo, hours_hi));
            spans.push((Grain::QuarterHour, lo, hours_lo));
            spans.push((Grain::QuarterHour, hours_hi, hi));
        } else {
            spans.push((Grain::QuarterHour, lo, hi));
        }
        // The day numbers 0..=N (a recursive CTE: SQLite has no `generate_series` built in).
        sql.push(&format!(
            "days(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM days WHERE j < {day_count}), \
             moved AS (SELECT j, is_system, SUM(n) AS n FROM ("
        ));
        for (i, &(grain, from, to)) in spans.iter().filter(|(_, from, to)| from < to).enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push(&format!(
                "SELECT d.j AS j, {is_system} AS is_system, r.n AS n FROM days d JOIN {table} r \
                 ON r.grain = {g} AND r.bucket >= {from} + d.j * {DAY} AND r.bucket < {to} + d.j * {DAY}{join} \
                 WHERE TRUE",
                table = source.table(filter),
                join = source.join(),
                g = grain as i64,
                from = base + from,
                to = base + to,
            ));
            sql.push_rollup_filters(source, filter);
        }
        sql.push(") AS m GROUP BY j, is_system), ");
    }
    sql.push(&format!("chart AS (SELECT (r.bucket - {base}) / {DAY} AS k, {is_system} AS is_system, SUM(r.n) AS n"))
        .push_rollup_scope(source, filter, &[Range { grain: Grain::Day, lo: Some(base), hi: Some(end) }])
        .push(&format!(" GROUP BY r.bucket, {is_system}"));
    if shift != 0 {
        sql.push(&format!(
            " UNION ALL SELECT j, is_system, {minus} * n FROM moved \
             UNION ALL SELECT j - 1, is_system, {sign} * n FROM moved",
            minus = -sign
        ));
    }
    sql.push(")");
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
