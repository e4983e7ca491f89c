//! What a query costs the database, estimated before it runs, so that a request's total can be
//! bounded (`graphql::limits`). The unit is one local day of the log read row by row: what the
//! plain path pays for each day of a window. The rollups answer a window from a handful of rows per
//! month, whatever the traffic, so on that path a figure costs about one unit per month.
//!
//! The model does not know how busy the log is; it only has to rank work correctly: a year costs
//! more than a week, and an offset the rollups cannot answer costs its days in full.

use super::rollup;
use crate::filter::{Filter, MAX_INSIGHTS_DAYS};

/// Work one field of a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Every insights figure over the window.
    Insights,
    /// The activity list's `COUNT`.
    Count,
    /// One page of the list, after skipping `skip` rows.
    Page { skip: i64 },
    /// The facets: three grouped statements over the scope.
    Facets,
    /// Chart buckets, counted from the log.
    Chart,
}

/// Rows a plain `OFFSET` steps over for the price of one unit.
const ROWS_PER_UNIT: i64 = 10_000;

/// The estimated cost of `work` over `filter`, in units (at least 1).
pub fn cost(filter: &Filter, work: Work) -> u64 {
    let fast = rollup::covers(filter);
    match work {
        // The insights' chart also needs every local day to start on a quarter hour.
        Work::Insights if rollup::covers_days(filter) => 1 + window_days(filter) / 30,
        Work::Count if fast => 1 + window_days(filter) / 30,
        Work::Insights | Work::Count => window_days(filter).max(1),
        // Past its first rows a page is located through the rollups' counts.
        Work::Page { .. } if fast => 1,
        Work::Page { skip } => 1 + u64::try_from(skip / ROWS_PER_UNIT).unwrap_or(0),
        // Each facet from the rollups, or (object types) from the log.
        Work::Facets if fast => 1 + window_days(filter) / 30,
        Work::Facets | Work::Chart => window_days(filter).max(1),
    }
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
        assert_eq!(cost(&filter(Some("2026-06-04"), Some("2026-06-10"), 0), Work::Insights), 1);
        // 2025-06-11 ..= 2026-06-10 is 365 days: 1 + 365 / 30.
        assert_eq!(cost(&filter(Some("2025-06-11"), Some("2026-06-10"), -60), Work::Insights), 13);
        assert_eq!(cost(&filter(Some("2025-06-11"), Some("2026-06-10"), 300), Work::Count), 13);
    }

    #[test]
    fn the_plain_path_charges_every_day() {
        assert_eq!(cost(&filter(Some("2025-06-11"), Some("2026-06-10"), 7), Work::Insights), 365);
        // A leap year's window has 366 days.
        assert_eq!(cost(&filter(Some("2023-03-01"), Some("2024-02-29"), 7), Work::Count), 366);
        assert_eq!(cost(&filter(Some("2026-06-10"), Some("2026-06-10"), 7), Work::Insights), 1);
    }

    #[test]
    fn an_open_window_costs_ten_years() {
        assert_eq!(cost(&filter(Some("2026-06-10"), None, 7), Work::Count), 3660);
        assert_eq!(cost(&filter(Some("2026-06-10"), None, 0), Work::Count), 1 + 3660 / 30);
        // No bound to split: the rollups answer at any offset.
        assert_eq!(cost(&filter(None, None, 7), Work::Count), 1 + 3660 / 30);
    }

    #[test]
    fn facets_cost_like_the_figures() {
        assert_eq!(cost(&filter(Some("2025-06-11"), Some("2026-06-10"), 0), Work::Facets), 13);
        assert_eq!(cost(&filter(Some("2025-06-11"), Some("2026-06-10"), 7), Work::Facets), 365);
        assert_eq!(cost(&filter(Some("2026-06-10"), None, 7), Work::Facets), 3660);
    }

    #[test]
    fn pages_cost_what_the_plain_offset_skips() {
        assert_eq!(cost(&filter(None, None, 0), Work::Page { skip: 5_000_000 }), 1);
        assert_eq!(cost(&filter(Some("2026-06-10"), None, 7), Work::Page { skip: 0 }), 1);
        assert_eq!(cost(&filter(Some("2026-06-10"), None, 7), Work::Page { skip: 5_000_000 }), 501);
    }
}
