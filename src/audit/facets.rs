//! Facets for the filter pickers: which users, verbs and object types occur in scope, and how
//! often. Each facet counts under every filter field but its own, so choosing one user still lists
//! the others, with what they would add. Ordered by count descending, then by id or value (byte
//! order), at most `limit` entries each. The window follows the list's rules: no timeframe and no
//! dates is all time.
//!
//! One grouped statement per facet, run side by side: from the rollups when they can answer the
//! facet's scope (`rollup::facets`), otherwise from the log.

use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::sql::Sql;
use super::{Path, rollup};
use crate::filter::{Field, FieldError, Filter};

/// How many entries each facet lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacetLimit(i64);

impl FacetLimit {
    pub const DEFAULT: i64 = 100;
    pub const MAX: i64 = 1_000;

    pub fn parse(limit: Option<i64>) -> Result<Self, FieldError> {
        FieldError::check_range(Field::Limit, limit.unwrap_or(Self::DEFAULT), 1, Self::MAX).map(FacetLimit)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One user of the users facet; the faces look the account up by id (it may no longer exist).
/// Both paths select it as `user_id, count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromQueryResult)]
pub struct UserCount {
    pub user_id: i64,
    pub count: i64,
}

/// One verb or object type and its count, selected as `value, count`.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct ValueCount {
    pub value: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facets {
    pub users: Vec<UserCount>,
    pub actions: Vec<ValueCount>,
    pub object_types: Vec<ValueCount>,
}

/// The three facets of `filter`'s scope, each from the rollups when they can answer its scope.
pub async fn facets(db: &DatabaseConnection, filter: &Filter, limit: FacetLimit) -> Result<Facets, DbErr> {
    facets_by_path(db, filter, limit, Path::Fastest).await
}

/// [`facets`], computed the way `path` says (tests compare the paths).
pub async fn facets_by_path(
    db: &DatabaseConnection,
    filter: &Filter,
    limit: FacetLimit,
    path: Path,
) -> Result<Facets, DbErr> {
    let fast = |scope: &Filter| path == Path::Fastest && rollup::covers(scope);
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
async fn plain_users(db: &DatabaseConnection, scope: &Filter, limit: FacetLimit) -> Result<Vec<UserCount>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT t.user_id AS user_id, COUNT(*) AS count")
        .push_scope(scope)
        .push(" AND t.user_id IS NOT NULL GROUP BY t.user_id ORDER BY COUNT(*) DESC, t.user_id ASC LIMIT ")
        .bind(limit.0);
    UserCount::find_by_statement(sql.into_statement()).all(db).await
}

/// The facet of `column` (`a.verb`, `a.object_type`) from the log.
async fn plain_values(
    db: &DatabaseConnection,
    column: &'static str,
    scope: &Filter,
    limit: FacetLimit,
) -> Result<Vec<ValueCount>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    sql.push(&format!("SELECT {column} AS value, COUNT(*) AS count"))
        .push_scope(scope)
        .push(&format!(" GROUP BY {column} ORDER BY COUNT(*) DESC, {column} {byte_order} ASC LIMIT "))
        .bind(limit.0);
    ValueCount::find_by_statement(sql.into_statement()).all(db).await
}
