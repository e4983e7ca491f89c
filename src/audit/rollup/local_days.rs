//! Counts per local day from the rollups, for any calendar whose days start on quarter hours: a
//! fixed offset, or an IANA zone whose days are 23, 24 or 25 hours long (or none, or 48).
//!
//! Local day `k` is `[s_k, s_{k+1})` in UTC. Let `B_i` be the UTC midnight nearest to the boundary
//! `s_i` and `C(x)` the number of actions before `x`. Then `C(s_i) = C(B_i) + M_i`, where the
//! *moved* count `M_i` is `+count[B_i, s_i)` when `s_i ≥ B_i` and `−count[s_i, B_i)` otherwise, and
//!
//! `count(day k) = C(s_{k+1}) − C(s_k) = D_k + M_{k+1} − M_k`, with `D_k` = the UTC day rows in
//! `[B_k, B_{k+1})`.
//!
//! `D` is one range scan of day rows per *day run* (consecutive days whose `B` are one UTC day
//! apart: the whole window, unless a zone skipped or repeated a date). `M` is read per *shift
//! run* (consecutive boundaries at the same distance from their midnight: one per stretch of
//! constant UTC offset, so one for a fixed offset and two or three for a year in a zone with summer
//! time): at most 12 hours per boundary, as whole hours from the hour grain plus up to three
//! quarter hours (the per-user tables have no hours), through a join with the day numbers so that
//! each boundary's span is an index range scan. Where the table has no quarter hours either (the
//! per-user one with verbs), each boundary's span is read from the log instead.

use audit_rollup::{DAY, Grain, HOUR, QUARTER_HOUR, Rollup};
use sea_orm::DbErr;

use super::cover::{Range, SignedCover, ceil_to, floor_to};
use super::scope::{Deltas, Source};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// The UTC boundaries of a closed window's local days, `s_0 … s_N` in seconds (the last is the
/// window's end), or `None` when the window is open or a boundary is not on a quarter hour (the
/// rollups cannot split a quarter hour).
pub fn boundaries(filter: &Filter) -> Option<Vec<i64>> {
    let days = filter.days();
    let last = *days.last()?;
    let seconds = |at: chrono::NaiveDateTime| at.and_utc().timestamp();
    let mut boundaries: Vec<i64> = days.iter().map(|day| seconds(filter.day_start_utc(*day))).collect();
    boundaries.push(seconds(filter.day_end_utc(last)));
    boundaries.iter().all(|s| s.rem_euclid(QUARTER_HOUR) == 0).then_some(boundaries)
}

/// The UTC midnight nearest to `s` (the earlier one when `s` is at noon).
fn nearest_midnight(s: i64) -> i64 {
    let midnight = floor_to(s, DAY);
    if s - midnight <= DAY / 2 { midnight } else { midnight + DAY }
}

/// Days `first ..= first + count - 1` whose day rows are `[from, from + count · width)`, day
/// `first + j` reading `[from + j · width, from + (j + 1) · width)`. `width` is a day, except for
/// a lone day whose midnights are 2 days apart (a zone that skipped a date).
#[derive(Debug, PartialEq, Eq)]
struct DayRun {
    first: i64,
    count: i64,
    from: i64,
    width: i64,
}

/// Boundaries `first ..= first + count - 1`, boundary `first + j` at `shift` from the midnight
/// `midnight + j · DAY`.
#[derive(Debug, PartialEq, Eq)]
struct ShiftRun {
    first: i64,
    count: i64,
    midnight: i64,
    shift: i64,
}

fn day_runs(midnights: &[i64]) -> Vec<DayRun> {
    let mut runs: Vec<DayRun> = Vec::new();
    for (k, pair) in (0_i64..).zip(midnights.windows(2)) {
        let width = pair[1] - pair[0];
        if width == 0 {
            // A date of no length (skipped): no rows.
            continue;
        }
        match runs.last_mut() {
            Some(run) if width == DAY && run.width == DAY && run.first + run.count == k => run.count += 1,
            _ => runs.push(DayRun { first: k, count: 1, from: pair[0], width }),
        }
    }
    runs
}

fn shift_runs(boundaries: &[i64]) -> Vec<ShiftRun> {
    let mut runs: Vec<ShiftRun> = Vec::new();
    for (i, &s) in (0_i64..).zip(boundaries) {
        let (midnight, shift) = (nearest_midnight(s), s - nearest_midnight(s));
        match runs.last_mut() {
            Some(run) if run.shift == shift && run.midnight + run.count * DAY == midnight => run.count += 1,
            _ => runs.push(ShiftRun { first: i, count: 1, midnight, shift }),
        }
    }
    runs.retain(|run| run.shift != 0);
    runs
}

/// The moved span `[lo, hi)` relative to a midnight, as `(grain, from, to)` pieces: whole hours
/// where the table has them (a quarter of the rows), quarter hours for the rest.
fn pieces(table: Rollup, shift: i64) -> Vec<(Grain, i64, i64)> {
    let (lo, hi) = (shift.min(0), shift.max(0));
    let mut pieces = Vec::new();
    if table.keeps(Grain::Hour) {
        let (hours_lo, hours_hi) = if shift > 0 { (0, floor_to(hi, HOUR)) } else { (ceil_to(lo, HOUR), 0) };
        pieces.push((Grain::Hour, hours_lo, hours_hi));
        pieces.push((Grain::QuarterHour, lo, hours_lo));
        pieces.push((Grain::QuarterHour, hours_hi, hi));
    } else {
        pieces.push((Grain::QuarterHour, lo, hi));
    }
    pieces.retain(|&(_, from, to)| from < to);
    pieces
}

/// Defines the CTEs that end in `chart(k, is_system, n)`: signed counts whose sum per local day
/// index `k` (`0 ≤ k < N`) is that day's count. `boundaries` is [`boundaries`]' answer.
pub(super) fn define_day_counts(
    sql: &mut Sql,
    source: Source,
    filter: &Filter,
    boundaries: &[i64],
    deltas: Deltas,
) -> Result<(), DbErr> {
    let midnights: Vec<i64> = boundaries.iter().map(|&s| nearest_midnight(s)).collect();
    let shifts = shift_runs(boundaries);
    // The table, its join and the system flag are fixed SQL chosen by `source`; every number is
    // bound. `{DAY}` is a constant of the query's shape.
    let (is_system, join) = (source.is_system(), source.join());
    if !shifts.is_empty() {
        // The day numbers 0..=N (a recursive CTE: SQLite has no `generate_series` built in).
        let longest = shifts.iter().map(|run| run.count).max().unwrap_or(0);
        sql.with_recursive("days", |sql| {
            sql.push("(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM days WHERE j < ").bind(longest).push(")");
        });
        let table = source.table(filter);
        let pending = if deltas == Deltas::Pending { sql.pending_rows(table) } else { String::new() };
        sql.try_with("moved", |sql| {
            sql.push(" AS (SELECT i, is_system, SUM(n) AS n FROM (");
            let mut first = true;
            for run in &shifts {
                let sign = run.shift.signum();
                for (grain, from, to) in pieces(table, run.shift) {
                    if !first {
                        sql.push(" UNION ALL ");
                    }
                    first = false;
                    // Rows not indexed by day (the deltas, or the log's rows where the table lacks the
                    // grain): each row's boundary by arithmetic, kept when it falls in
                    // `[B_i + from, B_i + to)` for a boundary of the run.
                    let by_arithmetic = |sql: &mut Sql, rows: &str| {
                        sql.push("SELECT ")
                            .bind(run.first)
                            .push(" + (r.bucket - ")
                            .bind(run.midnight + from)
                            .push(&format!(") / {DAY} AS i, {is_system} AS is_system, "))
                            .bind(sign)
                            .push(&format!(" * r.n AS n FROM {rows} r{join} WHERE r.grain = "))
                            .bind(grain as i64)
                            .push(" AND r.bucket >= ")
                            .bind(run.midnight + from)
                            .push(" AND r.bucket < ")
                            .bind(run.midnight + (run.count - 1) * DAY + to)
                            .push(" AND (r.bucket - ")
                            .bind(run.midnight + from)
                            .push(&format!(") % {DAY} < "))
                            .bind(to - from);
                        sql.push_rollup_filters(source, filter);
                    };
                    if !table.keeps(grain) {
                        // Each day's span: the run's whole stretch would be most of the window.
                        let spans: Vec<Range> = (0..run.count)
                            .map(|j| Range {
                                grain,
                                lo: Some(run.midnight + j * DAY + from),
                                hi: Some(run.midnight + j * DAY + to),
                            })
                            .collect();
                        let rows = sql.log_rows(table, &spans, filter)?;
                        by_arithmetic(sql, &rows);
                        continue;
                    }
                    // The compacted rows: a join with the day numbers, one index range scan each.
                    let rows = table.source(sql.dialect.0);
                    sql.push("SELECT d.j + ")
                        .bind(run.first)
                        .push(&format!(" AS i, {is_system} AS is_system, "))
                        .bind(sign)
                        .push(&format!(" * r.n AS n FROM days d JOIN {} r ON r.grain = ", rows))
                        .bind(grain as i64)
                        .push(" AND r.bucket >= ")
                        .bind(run.midnight + from)
                        .push(&format!(" + d.j * {DAY} AND r.bucket < "))
                        .bind(run.midnight + to)
                        .push(&format!(" + d.j * {DAY}{join} WHERE d.j < "))
                        .bind(run.count);
                    sql.push_rollup_filters(source, filter);
                    if deltas == Deltas::Pending {
                        sql.push(" UNION ALL ");
                        by_arithmetic(sql, &pending);
                    }
                }
            }
            sql.push(") AS m GROUP BY i, is_system)");
            Ok::<(), DbErr>(())
        })?;
    }
    sql.try_with("chart", |sql| {
        sql.push(" AS (");
        let runs = day_runs(&midnights);
        if runs.is_empty() {
            // Every day of no length: nothing to count, but the CTE must exist.
            sql.push("SELECT 0 AS k, 0 AS is_system, 0 AS n");
        }
        for (index, run) in runs.iter().enumerate() {
            if index > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT ")
                .bind(run.first)
                .push(" + (r.bucket - ")
                .bind(run.from)
                .push(") / ")
                .bind(run.width)
                .push(" AS k, r.is_system AS is_system, SUM(r.n) AS n")
                .push_rollup_scope(
                    source,
                    filter,
                    &SignedCover::of(vec![Range {
                        grain: Grain::Day,
                        lo: Some(run.from),
                        hi: Some(run.from + run.count * run.width),
                    }]),
                    deltas,
                )?
                .push(" GROUP BY r.bucket, r.is_system");
        }
        if !shifts.is_empty() {
            sql.push(" UNION ALL SELECT i, is_system, -n FROM moved UNION ALL SELECT i - 1, is_system, n FROM moved");
        }
        sql.push(")");
        Ok::<(), DbErr>(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR;

    #[test]
    fn a_fixed_offset_is_one_run_of_each() {
        // Offset +05:45 (Nepal): local midnight is 18:15 UTC the day before.
        let boundaries: Vec<i64> = (0..4).map(|k| k * DAY - 5 * H - 45 * 60).collect();
        assert_eq!(
            day_runs(&boundaries.iter().map(|&s| nearest_midnight(s)).collect::<Vec<_>>()),
            [DayRun { first: 0, count: 3, from: 0, width: DAY }]
        );
        assert_eq!(shift_runs(&boundaries), [ShiftRun { first: 0, count: 4, midnight: 0, shift: -5 * H - 45 * 60 }]);
    }

    #[test]
    fn summer_time_starts_a_new_shift_run_and_keeps_the_day_run() {
        // Berlin around 2026-03-29: midnights at 23:00 UTC, then 22:00 UTC.
        let boundaries = [-H, DAY - H, 2 * DAY - 2 * H, 3 * DAY - 2 * H];
        let midnights: Vec<i64> = boundaries.iter().map(|&s| nearest_midnight(s)).collect();
        assert_eq!(day_runs(&midnights), [DayRun { first: 0, count: 3, from: 0, width: DAY }]);
        assert_eq!(
            shift_runs(&boundaries),
            [
                ShiftRun { first: 0, count: 2, midnight: 0, shift: -H },
                ShiftRun { first: 2, count: 2, midnight: 2 * DAY, shift: -2 * H },
            ]
        );
    }

    #[test]
    fn a_skipped_date_is_a_day_of_no_length() {
        // Apia, 2011-12-29 (UTC−10) to 2011-12-31 (UTC+14): the 30th does not exist.
        let boundaries = [10 * H, DAY + 10 * H, DAY + 10 * H, 2 * DAY + 10 * H];
        let midnights: Vec<i64> = boundaries.iter().map(|&s| nearest_midnight(s)).collect();
        assert_eq!(
            day_runs(&midnights),
            [DayRun { first: 0, count: 1, from: 0, width: DAY }, DayRun { first: 2, count: 1, from: DAY, width: DAY },]
        );
    }
}
