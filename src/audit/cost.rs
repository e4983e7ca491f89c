//! What a query costs the database, estimated before it runs, so that a request's total can be
//! bounded (`graphql::limits`).
//!
//! Work the rollups answer costs what it reads of them: a handful of rows per month, whatever the
//! traffic, so about one unit per month of the window. Work the plain path does reads the log row
//! by row, so it costs the rows it reads: the rows of the window, which the rollups count cheaply
//! before anything runs ([`rows_in_window`]), one unit per [`ROWS_PER_UNIT`], plus one unit per
//! day of the window (its days are spans to join, groups to fill). A year on a busy log then costs
//! what it would take, and the budget refuses what would take seconds. A plain `OFFSET` costs the
//! rows it steps over.

use sea_orm::DbErr;

use super::{Snapshot, rollup};
use crate::filter::{Filter, MAX_INSIGHTS_DAYS};

/// Work one field of a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Every insights figure over the window (one statement: the cards and the daily chart).
    Insights,
    /// The activity list's `COUNT`.
    Count,
    /// One page of the list, after skipping `skip` rows.
    Page { skip: i64 },
    /// The facets: three grouped statements over the scope.
    Facets,
    /// Chart buckets.
    Chart,
}

/// How the cost of some work is known before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimate {
    /// Answered from the rollups, or a page of known depth: this many units.
    Units(u64),
    /// Read from the log row by row: `passes` reads of the rows in the window's scope, each
    /// costing a unit per day of the window and per [`ROWS_PER_UNIT`] rows.
    LogRows { passes: u64 },
}

/// Rows of the log read row by row for the price of one unit.
pub const ROWS_PER_UNIT: i64 = 100;

/// How the cost of `work` over `filter` is known.
pub fn estimate(filter: &Filter, work: Work) -> Estimate {
    let fast = rollup::covers(filter);
    let by_month = Estimate::Units(1 + window_days(filter) / 30);
    match work {
        // The insights' and the chart's buckets also need every local day on a quarter hour.
        Work::Insights if rollup::covers_days(filter) => by_month,
        // Buckets of hours and of days that are not whole UTC days read finer rollup rows: a
        // chart is charged a unit a day, as if counted from a log of a few rows a day.
        Work::Chart if rollup::covers_days(filter) => Estimate::Units(window_days(filter).max(1)),
        Work::Count | Work::Facets if fast => by_month,
        Work::Insights | Work::Count | Work::Chart => Estimate::LogRows { passes: 1 },
        Work::Facets => Estimate::LogRows { passes: 3 },
        // Past its first rows a page is located through the rollups' counts.
        Work::Page { .. } if fast => Estimate::Units(1),
        Work::Page { skip } => Estimate::Units(1 + u64::try_from(skip / ROWS_PER_UNIT).unwrap_or(0)),
    }
}

/// The estimated cost of every `(filter, work)` of a request, in units, asking the rollups for
/// the rows of each window the plain path would read (once per distinct filter).
pub async fn total(db: &Snapshot, work: &[(Filter, Work)]) -> Result<u64, DbErr> {
    let mut rows: Vec<(&Filter, u64)> = Vec::new();
    let mut total: u64 = 0;
    for (filter, work) in work {
        let cost = match estimate(filter, *work) {
            Estimate::Units(units) => units,
            Estimate::LogRows { passes } => {
                let in_window = match rows.iter().find(|(known, _)| *known == filter) {
                    Some(&(_, known)) => known,
                    None => {
                        let counted = rows_in_window(db, filter).await?;
                        rows.push((filter, counted));
                        counted
                    }
                };
                passes.saturating_mul(window_days(filter).saturating_add(in_window / ROWS_PER_UNIT as u64))
            }
        };
        total = total.saturating_add(cost);
    }
    Ok(total)
}

/// The rows in `filter`'s scope that a plain statement reads, counted by the rollups: the window
/// widened to the whole UTC days around it (which they can always count) and without
/// `object_types` (which they do not keep), so a little more than the statement reads.
pub async fn rows_in_window(db: &Snapshot, filter: &Filter) -> Result<u64, DbErr> {
    let widened = Filter {
        object_types: Vec::new(),
        offset_minutes: 0,
        time_zone: None,
        first_day: filter.utc_start().map(|start| start.date()),
        last_day: filter.utc_end().map(|end| end.date()),
        ..filter.clone()
    };
    Ok(u64::try_from(rollup::count(db, &widened).await?).unwrap_or(0))
}

/// Days in the window; a window open at either end is charged as the longest one insights allow
/// (ten years), since the log's own extent is not known without asking the database.
fn window_days(filter: &Filter) -> u64 {
    match (filter.first_day, filter.last_day) {
        (Some(first), Some(last)) => u64::try_from((last - first).num_days() + 1).unwrap_or(0),
        _ => MAX_INSIGHTS_DAYS as u64,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn filter(first: Option<&str>, last: Option<&str>, offset_minutes: i64) -> Filter {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date");
        Filter {
            users: Vec::new(),
            actions: Vec::new(),
            object_types: Vec::new(),
            include_internal: true,
            offset_minutes,
            time_zone: None,
            first_day: first.map(day),
            last_day: last.map(day),
        }
    }

    #[test]
    fn the_rollups_charge_about_one_unit_a_month() {
        assert_eq!(estimate(&filter(Some("2026-06-04"), Some("2026-06-10"), 0), Work::Insights), Estimate::Units(1));
        // 2025-06-11 ..= 2026-06-10 is 365 days: 1 + 365 / 30.
        let year = filter(Some("2025-06-11"), Some("2026-06-10"), -60);
        for work in [Work::Insights, Work::Count, Work::Facets] {
            assert_eq!(estimate(&year, work), Estimate::Units(13), "{work:?}");
        }
        assert_eq!(estimate(&year, Work::Chart), Estimate::Units(365));
    }

    #[test]
    fn the_plain_path_charges_the_rows_it_reads() {
        // 7 minutes: no window bound falls on a quarter hour.
        let year = filter(Some("2025-06-11"), Some("2026-06-10"), 7);
        for work in [Work::Insights, Work::Chart, Work::Count] {
            assert_eq!(estimate(&year, work), Estimate::LogRows { passes: 1 }, "{work:?}");
        }
        assert_eq!(estimate(&year, Work::Facets), Estimate::LogRows { passes: 3 });
        let one_day = filter(Some("2026-06-10"), Some("2026-06-10"), 7);
        assert_eq!(estimate(&one_day, Work::Insights), Estimate::LogRows { passes: 1 });
    }

    #[test]
    fn an_open_window_costs_ten_years_of_months() {
        assert_eq!(estimate(&filter(Some("2026-06-10"), None, 0), Work::Count), Estimate::Units(1 + 3660 / 30));
        // No bound to split: the rollups answer at any offset.
        assert_eq!(estimate(&filter(None, None, 7), Work::Count), Estimate::Units(1 + 3660 / 30));
        assert_eq!(estimate(&filter(Some("2026-06-10"), None, 7), Work::Count), Estimate::LogRows { passes: 1 });
    }

    #[test]
    fn pages_cost_what_the_plain_offset_skips() {
        assert_eq!(estimate(&filter(None, None, 0), Work::Page { skip: 5_000_000 }), Estimate::Units(1));
        assert_eq!(estimate(&filter(Some("2026-06-10"), None, 7), Work::Page { skip: 0 }), Estimate::Units(1));
        assert_eq!(
            estimate(&filter(Some("2026-06-10"), None, 7), Work::Page { skip: 5_000_000 }),
            Estimate::Units(50_001)
        );
    }
}
