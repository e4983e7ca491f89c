//! Facets for the filter pickers: which users, verbs and object types occur in scope, and how
//! often. Each facet counts under every filter field but its own, so choosing one user still lists
//! the others, with what they would add. Ordered by count descending, then by id or value (byte
//! order), at most `limit` entries each. The window follows the list's rules: no timeframe and no
//! dates is all time.
//!
//! One grouped statement per facet, run side by side: from the rollups when they can answer the
//! facet's scope (`rollup::facets`), otherwise from the log.

use super::Snapshot;
use sea_orm::{DbErr, FromQueryResult};

use super::figures::{FacetLimit, Facets, UserCount, ValueCount};
use super::sql::Sql;
use super::{Method, rollup};
use crate::filter::Filter;

/// The three facets of `filter`'s scope, each from the rollups when they can answer its scope.
pub async fn facets(db: &Snapshot, filter: &Filter, limit: FacetLimit) -> Result<Facets, DbErr> {
    facets_using(db, filter, limit, Method::Fastest).await
}

/// [`facets`], computed the way `method` says (tests compare the paths).
pub async fn facets_using(db: &Snapshot, filter: &Filter, limit: FacetLimit, method: Method) -> Result<Facets, DbErr> {
    let fast = |scope: &Filter| method == Method::Fastest && rollup::covers(scope);
    let users_scope = Filter { users: Vec::new(), ..filter.clone() };
    let actions_scope = Filter { actions: Vec::new(), ..filter.clone() };
    let types_scope = Filter { object_types: Vec::new(), ..filter.clone() };
    let users = async {
        if fast(&users_scope) {
            rollup::facets::users(db, &users_scope, limit).await
        } else {
            plain_users(db, &users_scope, limit).await
        }
    };
    let actions = async {
        if fast(&actions_scope) {
            rollup::facets::actions(db, &actions_scope, limit).await
        } else {
            plain_values(db, "a.verb", &actions_scope, limit).await
        }
    };
    let object_types = async {
        if fast(&types_scope) {
            rollup::facets::object_types(db, &types_scope, limit).await
        } else {
            plain_values(db, "a.object_type", &types_scope, limit).await
        }
    };
    let (users, actions, object_types) = tokio::try_join!(users, actions, object_types)?;
    Ok(Facets { users, actions, object_types })
}

/// The users facet from the log. Actions without a user cannot be chosen by user: the facet lists
/// accounts only.
async fn plain_users(db: &Snapshot, scope: &Filter, limit: FacetLimit) -> Result<Vec<UserCount>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT t.user_id AS user_id, COUNT(*) AS count")
        .push_scope(scope)
        .push(" AND t.user_id IS NOT NULL GROUP BY t.user_id ORDER BY COUNT(*) DESC, t.user_id ASC LIMIT ")
        .bind(limit.get());
    UserCount::find_by_statement(sql.into_statement()).all(db).await
}

/// The facet of `column` (`a.verb`, `a.object_type`) from the log.
async fn plain_values(
    db: &Snapshot,
    column: &'static str,
    scope: &Filter,
    limit: FacetLimit,
) -> Result<Vec<ValueCount>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    sql.push(&format!("SELECT {column} AS value, COUNT(*) AS count"))
        .push_scope(scope)
        .push(&format!(" GROUP BY {column} ORDER BY COUNT(*) DESC, {column} {byte_order} ASC LIMIT "))
        .bind(limit.get());
    ValueCount::find_by_statement(sql.into_statement()).all(db).await
}
