//! Facets for the filter pickers: which users, verbs and object types occur in scope, and how
//! often. Each facet counts under every filter field but its own, so choosing one user still lists
//! the others, with what they would add. Ordered by count descending, then by id or value (byte
//! order), at most `limit` entries each. The window follows the list's rules: no timeframe and no
//! dates is all time.
//!
//! Aggregated from the log (one grouped statement per facet, run side by side).

use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::sql::Sql;
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
}

/// One user of the users facet; the faces look the account up by id (it may no longer exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserCount {
    pub user_id: i64,
    pub count: i64,
}

/// One verb or object type and its count.
#[derive(Clone, Debug, PartialEq, Eq)]
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

#[derive(FromQueryResult)]
struct UserRow {
    user_id: i64,
    n: i64,
}

#[derive(FromQueryResult)]
struct ValueRow {
    value: String,
    n: i64,
}

/// The three facets of `filter`'s scope.
pub async fn facets(db: &DatabaseConnection, filter: &Filter, limit: FacetLimit) -> Result<Facets, DbErr> {
    let backend = db.get_database_backend();
    // Actions without a user cannot be chosen by user: the users facet lists accounts only.
    let users = async {
        let mut sql = Sql::new(backend);
        sql.push("SELECT t.user_id AS user_id, COUNT(*) AS n")
            .push_scope(&Filter { users: Vec::new(), ..filter.clone() })
            .push(" AND t.user_id IS NOT NULL GROUP BY t.user_id ORDER BY n DESC, t.user_id ASC LIMIT ")
            .bind(limit.0);
        UserRow::find_by_statement(sql.into_statement()).all(db).await
    };
    let values = |column: &'static str, scope: Filter| async move {
        let mut sql = Sql::new(backend);
        let byte_order = sql.dialect.byte_order();
        sql.push(&format!("SELECT {column} AS value, COUNT(*) AS n"))
            .push_scope(&scope)
            .push(&format!(" GROUP BY {column} ORDER BY n DESC, {column} {byte_order} ASC LIMIT "))
            .bind(limit.0);
        ValueRow::find_by_statement(sql.into_statement()).all(db).await
    };
    let (users, actions, object_types) = tokio::try_join!(
        users,
        values("a.verb", Filter { actions: Vec::new(), ..filter.clone() }),
        values("a.object_type", Filter { object_types: Vec::new(), ..filter.clone() }),
    )?;
    let value_counts =
        |rows: Vec<ValueRow>| rows.into_iter().map(|row| ValueCount { value: row.value, count: row.n }).collect();
    Ok(Facets {
        users: users.into_iter().map(|row| UserCount { user_id: row.user_id, count: row.n }).collect(),
        actions: value_counts(actions),
        object_types: value_counts(object_types),
    })
}
