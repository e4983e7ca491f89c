//! The audit queries, as plain async functions over a request's [`Snapshot`] of the log: the
//! activity page ([`list`]) and the insights ([`insights`]). Both faces call these and nothing
//! else touches SQL.
//! Counts (totals, the chart, the top figures, where a deep page starts) come from the
//! trigger-maintained rollups ([`rollup`]); the rows themselves, and offsets the rollups cannot
//! answer, come from the log.
//!
//! The SQL that reads the log and assembles figures is written here as text, bound through
//! [`sql::Sql`] so values never enter it; the few places where SQLite and PostgreSQL differ live in
//! [`sql::Dialect`]. The rollups' own SQL (their tables, buckets, pending deltas) is the
//! `audit_rollup` crate's; this module decides what to read and how to sum it.

pub mod chart;
mod condition;
pub mod connection;
pub mod cost;
mod export;
pub mod facets;
pub mod feed;
pub mod figures;
pub mod insights;
pub mod list;
pub mod rollup;
mod snapshot;
pub(crate) mod sql;

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

pub use chart::{Bucket, Interval, chart_using};
pub use connection::{ConnectionPage, Position, Slice, connection, total_count};
pub use cost::{Estimate, Work};
pub use export::{CHUNK_ROWS, Export, ExportRow};
pub use facets::{facets, facets_using};
pub use figures::{DailyActions, FacetLimit, Facets, Insights, TopActor, TopEntityType, UserCount, ValueCount};
pub use insights::{insights, insights_using};
pub use list::{ActivityItem, ActivityPage, PageRequest, Total, list, list_using};
pub use snapshot::{Snapshot, WeakSnapshot};

/// How figures are computed, for tests that compare the two ([`list`] and [`insights`] always take
/// the fastest): [`Method::Fastest`] reads the trigger-maintained rollups wherever they can answer
/// exactly and falls back to the plain aggregate over the log; [`Method::LogOnly`] always
/// aggregates the log, the reference the differential tests compare the rollups against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    #[default]
    Fastest,
    LogOnly,
}

/// The users with these ids, by id, in one statement (the DataLoader and REST both batch through
/// here). Ids may repeat; ids without a row are simply absent: the account no longer exists.
pub async fn users_by_id(
    db: &Snapshot,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, entity::users::Model>, DbErr> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let users = entity::users::Entity::find().filter(entity::users::Column::Id.is_in(ids)).all(db).await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

/// An `issued_at` as the API shows it: RFC 3339 in UTC with a `Z`, fractional seconds only when
/// they are not zero (`2026-06-10T18:42:11Z`, `2026-06-10T18:42:11.250Z`).
pub fn format_instant(utc: chrono::NaiveDateTime) -> String {
    utc.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
