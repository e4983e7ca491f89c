//! Facets from the rollups: verbs from the time table (or the per-user table under a `users`
//! filter), object types from the entity tables (the per-user one plus those users' own rows at
//! the ragged ends), users from the per-user tables. Each takes the scope its caller gives it: the
//! filter without the facet's own field.

use crate::audit::Snapshot;
use audit_rollup::Rollup;
use sea_orm::{DbErr, FromQueryResult};

use super::cover::{Window, signed_cover};
use super::insights::push_entity_counts;
use super::scope::{Source, pending_deltas, user_table};
use crate::audit::figures::{FacetLimit, UserCount, ValueCount};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// The users facet over `scope` (which has no `users` filter).
pub async fn users(db: &Snapshot, scope: &Filter, limit: FacetLimit) -> Result<Vec<UserCount>, DbErr> {
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    let cover = signed_cover(Window::of(scope));
    sql.push("SELECT r.user_id AS user_id, CAST(SUM(r.n) AS BIGINT) AS count FROM (")
        .push_rollup_rows(user_table(scope), &cover.all(), scope, deltas, |sql, table| {
            sql.push("SELECT r.user_id AS user_id, ")
                .push_cover_rows(&cover, table, Source::Users.join())
                .push_rollup_filters(Source::Users, scope);
        })?
        .push(") r GROUP BY r.user_id HAVING SUM(r.n) > 0 ORDER BY SUM(r.n) DESC, r.user_id ASC LIMIT ")
        .bind(limit.get());
    UserCount::find_by_statement(sql.into_statement()).all(db).await
}

/// The verbs facet over `scope` (which has no `actions` filter).
pub async fn actions(db: &Snapshot, scope: &Filter, limit: FacetLimit) -> Result<Vec<ValueCount>, DbErr> {
    let source = Source::of(scope);
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    // The per-user table with verbs, whichever one the scope would otherwise pick.
    let (table, join) = if source == Source::Users {
        (Rollup::UserActionsByVerb, " LEFT JOIN users u ON u.id = r.user_id")
    } else {
        (Rollup::ActionsByVerb, "")
    };
    let cover = signed_cover(Window::of(scope));
    sql.push("SELECT r.verb AS value, CAST(SUM(r.n) AS BIGINT) AS count FROM (")
        .push_rollup_rows(table, &cover.all(), scope, deltas, |sql, table| {
            sql.push("SELECT r.verb AS verb, ").push_cover_rows(&cover, table, join).push_rollup_filters(source, scope);
        })?
        .push(&format!(
            ") r GROUP BY r.verb HAVING SUM(r.n) > 0 ORDER BY SUM(r.n) DESC, r.verb {byte_order} ASC LIMIT "
        ))
        .bind(limit.get());
    values(db, sql).await
}

/// The object types facet over `scope` (which has no `object_types` filter).
pub async fn object_types(db: &Snapshot, scope: &Filter, limit: FacetLimit) -> Result<Vec<ValueCount>, DbErr> {
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    sql.push("SELECT e.object_type AS value, CAST(SUM(e.n) AS BIGINT) AS count FROM (");
    push_entity_counts(&mut sql, Source::of(scope), scope, Window::of(scope), deltas)?;
    sql.push(&format!(
        ") AS e GROUP BY e.object_type HAVING SUM(e.n) > 0 ORDER BY SUM(e.n) DESC, e.object_type {byte_order} ASC LIMIT "
    ))
    .bind(limit.get());
    values(db, sql).await
}

async fn values(db: &Snapshot, sql: Sql) -> Result<Vec<ValueCount>, DbErr> {
    ValueCount::find_by_statement(sql.into_statement()).all(db).await
}
