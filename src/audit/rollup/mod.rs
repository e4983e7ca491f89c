//! The fast path: figures read from the trigger-maintained rollups (`migration::rollup` owns the
//! tables and explains how they stay exact) instead of from every activity in the window.
//!
//! A window `[start, end)` in UTC seconds is split into a **cover**: whole calendar months in the
//! middle, whole UTC days around them, and 15-minute buckets at the two ragged ends (a local
//! midnight falls on a quarter hour whenever the offset is a multiple of 15 minutes). Summing the
//! cover's rows gives exactly the count over the window. The chart needs a count per *local* day,
//! which in general contains no whole UTC day; it is the UTC day nearest to it, minus the quarter
//! hours at one end plus those at the other (`insights.rs`, `push_chart`).
//!
//! What the rollups cannot answer goes to the plain path in `insights.rs`/`list.rs`, which is also
//! the reference the differential tests compare against:
//! offsets that are not a multiple of 15 minutes (no real time zone has one today), and filters on
//! object types. Under a
//! `users` filter the figures come from the per-user tables, and the top entity type from a per-user
//! table of whole days and months plus those users' own rows at the window's ragged ends.
//!
//! The code, by concern: `cover` splits a window into rollup ranges, `scope` writes the SQL
//! that reads them under the filter, `seek` locates deep pages and `insights` computes every
//! figure in one statement.

pub mod chart;
mod cover;
pub mod facets;
mod insights;
mod scope;
mod seek;

pub use cover::{Range, Window, cover};
pub use insights::insights;
pub use scope::count;
pub use seek::{Seek, seek, seek_page};

use crate::filter::Filter;

/// Whether the rollups can answer figures for `filter`: a fixed offset whose window bounds fall on
/// quarter hours, and no `object_types` filter (only the entity tables keep object types, and they
/// cannot answer the chart, the actors or a page's position). IANA zones, whose days are not all
/// 24 hours long, take the plain path for now.
pub fn covers(filter: &Filter) -> bool {
    filter.offset_minutes % 15 == 0 && filter.object_types.is_empty() && filter.time_zone.is_none()
}
