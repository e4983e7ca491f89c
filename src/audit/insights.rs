//! The insights: summary cards and the daily chart for a closed window, all computed by one
//! aggregate statement in the database (docs/behaviour.md, section 4), read from the rollups where they can
//! answer ([`super::rollup`]) and otherwise from the activities themselves, as described here.
//!
//! The plain statement scopes the activities once (a CTE) and answers four questions from it, one
//! `UNION ALL` branch each, in a common row shape `(figure, k, name, n, m)`:
//! - `day`: per local day index `k`, `n` actions of which `m` are system actions;
//! - `actors`: `n` distinct non-internal users with an action;
//! - `top_actor`: the user `k` with the most actions (`n`), ties to the smallest id;
//! - `top_entity`: the object type `name` with the most actions (`n`), ties to the smallest name.

use super::Snapshot;
use sea_orm::{DbErr, FromQueryResult};

use super::figures::{FigureRow, Insights, assemble};
use super::sql::Sql;
use super::{Method, rollup};
use crate::filter::Filter;

/// Computes every figure for `filter`, whose window must be closed (as [`Filter::parse`] makes it
/// for [`crate::filter::Purpose::Insights`]): from the rollups when they can answer, otherwise
/// (or when `method` says so) by the plain aggregate.
pub async fn insights(db: &Snapshot, filter: &Filter) -> Result<Insights, DbErr> {
    insights_using(db, filter, Method::Fastest).await
}

/// [`insights`], computed the way `method` says (tests compare the paths).
pub async fn insights_using(db: &Snapshot, filter: &Filter, method: Method) -> Result<Insights, DbErr> {
    if method == Method::Fastest && rollup::covers_days(filter) {
        rollup::insights(db, filter).await
    } else {
        plain(db, filter).await
    }
}

/// The reference: every figure aggregated from the activities in scope.
async fn plain(db: &Snapshot, filter: &Filter) -> Result<Insights, DbErr> {
    let days = filter.days();
    let window_start = filter.utc_start().ok_or_else(|| DbErr::Custom("insights need a closed window".into()))?;

    let mut sql = Sql::new(db.get_database_backend());
    let dialect = sql.dialect;
    // Every branch spells out its column types: PostgreSQL resolves a bare NULL inside a subquery
    // to text before the UNION sees it.
    let columns = "u.id AS user_id, CASE WHEN u.is_internal THEN 1 ELSE 0 END AS is_system, \
                   a.object_type AS object_type";
    if filter.time_zone.is_some() {
        // A zone's days are 23, 24 or 25 hours (or none at all): each row finds its day among
        // the window's `[lo, hi)` spans.
        let spans: Vec<_> = days.iter().map(|day| (filter.day_start_utc(*day), filter.day_end_utc(*day))).collect();
        sql.with_spans("days", &spans).with("scoped", |sql| {
            sql.push(" AS (SELECT d.k AS day, ")
                .push(columns)
                .push_scope_joined(filter, " JOIN days d ON t.issued_at >= d.lo AND t.issued_at < d.hi")
                .push(")");
        });
    } else {
        // At a fixed offset each local day is exactly 86,400 s of UTC, so the day index is a
        // plain division of the seconds since the window opened.
        sql.with("scoped", |sql| {
            sql.push(" AS (SELECT (")
                .push(&dialect.epoch_seconds("t.issued_at"))
                .push(" - ")
                .bind(window_start.and_utc().timestamp())
                .push(") / 86400 AS day, ")
                .push(columns)
                .push_scope(filter)
                .push(")");
        });
    }
    sql
        .push(
            "SELECT 'day' AS figure, day AS item, CAST(NULL AS TEXT) AS object_type, COUNT(*) AS actions, \
             SUM(is_system) AS system_actions \
             FROM scoped GROUP BY day \
             UNION ALL \
             SELECT 'actors', CAST(NULL AS BIGINT), CAST(NULL AS TEXT), COUNT(DISTINCT CASE WHEN is_system = 0 THEN user_id END), 0 FROM scoped \
             UNION ALL \
             SELECT * FROM (SELECT 'top_actor', user_id, CAST(NULL AS TEXT), COUNT(*) AS n, 0 FROM scoped \
             WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY n DESC, user_id ASC LIMIT 1) AS top_actor \
             UNION ALL \
             SELECT * FROM (SELECT 'top_entity', CAST(NULL AS BIGINT), object_type, COUNT(*) AS n, 0 FROM scoped \
             GROUP BY object_type ORDER BY n DESC, object_type ",
        )
        .push(dialect.byte_order())
        .push(" ASC LIMIT 1) AS top_entity");

    let rows = FigureRow::find_by_statement(sql.into_statement()).all(db).await?;
    assemble(&days, rows)
}
