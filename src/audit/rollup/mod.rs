//! The fast path: figures read from the trigger-maintained rollups (the `audit_rollup` crate owns
//! the tables and explains how they stay exact) instead of from every activity in the window.
//!
//! A window `[start, end)` in UTC seconds is split into a **cover**: whole calendar months in the
//! middle, whole UTC days around them, and 15-minute buckets at the two ragged ends (a local
//! midnight falls on a quarter hour in every fixed offset that is a multiple of 15 minutes and in
//! every time zone in use today). Summing the cover's rows gives exactly the count over the window.
//! The chart needs a count per *local* day, which in general contains no whole UTC day, and in a
//! zone is not always 24 hours long: it is the UTC day nearest to it, minus the span between the
//! two midnights at one end plus the same at the other (`local_days`).
//!
//! Every table is read together with the deltas the triggers appended since the last compaction
//! (`scope`'s `push_rollup_rows`), so a row committed a moment ago counts.
//!
//! What the rollups cannot answer goes to the plain path in `insights.rs`/`list.rs`, which is also
//! the reference the differential tests compare against: windows or days that do not start on a
//! quarter hour (offsets like 7 minutes, zones' local mean time before standard time), and filters
//! on object types. Under a `users` filter the figures come from the per-user tables.
//!
//! A table need not keep every grain: where a cover needs buckets of a grain its table does not
//! keep, the log's own rows of those buckets stand in for them (`scope`'s `log_rows`), bucketed and
//! counted as the table would have them. The per-user table with verbs has no quarter hours
//! (`audit_rollup` says why): the actors under an `actions` filter read a window's ragged
//! ends from the log, and so do a few users' counts under one; the per-user entity table has days
//! and months only, so a few users' top entity type reads the ragged ends from the log too.
//!
//! The code, by concern: `cover` splits a window into rollup ranges, `scope` writes the SQL
//! that reads them under the filter, `local_days` counts per local day, `locate` finds where deep pages are
//! and `insights` computes every figure in one statement.

pub mod chart;
mod cover;
pub mod facets;
mod insights;
mod local_days;
mod locate;
mod scope;

pub use cover::{Range, Window, cover};
pub use insights::insights;
pub use locate::{Located, locate_page, locate_row};
pub use scope::count;

use audit_rollup::QUARTER_HOUR;

use crate::filter::Filter;

/// Whether the rollups can count `filter`'s scope over its window (totals, pages, facets): no
/// `object_types` filter (only the entity tables keep object types, and they cannot answer the
/// chart, the actors or a page's position), and window bounds on quarter hours (a bucket cannot be
/// split). Every fixed offset that is a multiple of 15 minutes and every zone in use today.
pub fn covers(filter: &Filter) -> bool {
    let Window { start, end } = Window::of(filter);
    let on_quarter_hour = |bound: Option<i64>| bound.is_none_or(|seconds| seconds.rem_euclid(QUARTER_HOUR) == 0);
    filter.object_types.is_empty() && on_quarter_hour(start) && on_quarter_hour(end)
}

/// Whether they can also count every local day of the window (the insights, the chart): every
/// day's start on a quarter hour too. (Zones' historical local mean times are not.)
pub fn covers_days(filter: &Filter) -> bool {
    covers(filter) && local_days::boundaries(filter).is_some()
}
