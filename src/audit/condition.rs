//! The filter's scope — `users`, `actions`, `object_types`, `include_internal` — as one sea-query
//! condition, written once for every kind of row the gateway reads: the log's activities and the
//! rollups' counts. Only where each field lives differs between them ([`Columns`]); every value
//! is bound. The window's bounds are not part of it: the log bounds `issued_at`, the rollups read
//! the buckets of a cover.

use entity::{activity, transaction, users};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::filter::Filter;

/// Where the rows a statement reads keep what the filter tests.
pub(crate) struct Columns {
    user_id: Expr,
    verb: Expr,
    object_type: Expr,
    /// True for an action of a user, false for a system action.
    user_action: Expr,
}

fn column(table: &str, column: impl sea_orm::sea_query::Iden + 'static) -> Expr {
    Expr::col((Alias::new(table), column))
}

/// True unless the user `u`, left joined, is internal: an action whose user no longer exists is
/// a user action.
fn not_internal() -> Expr {
    let is_internal = column("u", users::Column::IsInternal);
    is_internal.clone().is_null().or(is_internal.not())
}

impl Columns {
    /// The log: the activity `a`, its transaction `t` and its user `u`.
    pub fn log() -> Self {
        Columns {
            user_id: column("t", transaction::Column::UserId),
            verb: column("a", activity::Column::Verb),
            object_type: column("a", activity::Column::ObjectType),
            user_action: not_internal(),
        }
    }

    /// Rollup rows `r` (every rollup names its dimensions `user_id`, `verb`, `object_type`).
    /// `per_user`: the row's user `u` is joined and tells a system action, as in the log; otherwise
    /// the row stores the flag in `is_system`. A filter on a field the table does not keep is the
    /// caller's mistake, and the database's error ("no such column"), never a wrong count.
    pub fn rollup(per_user: bool) -> Self {
        let stored = column("r", Alias::new("is_system")).eq(0);
        Columns::named("r", if per_user { not_internal() } else { stored })
    }

    /// The deltas `d` the triggers appended (`audit_rollup_delta`), read as they are, without
    /// buckets. `per_user`: a system action is told by the user `u` joined now, as the per-user
    /// rollups tell it; otherwise by the flag the delta was filed under, as the tables of all users.
    pub fn delta(per_user: bool) -> Self {
        let stored = column("d", Alias::new("is_internal")).not();
        Columns::named("d", if per_user { not_internal() } else { stored })
    }

    /// Rows aliased `alias` whose dimensions have the rollups' names.
    fn named(alias: &str, user_action: Expr) -> Self {
        Columns {
            user_id: column(alias, Alias::new("user_id")),
            verb: column(alias, Alias::new("verb")),
            object_type: column(alias, Alias::new("object_type")),
            user_action,
        }
    }
}

/// Whether [`condition`] applies `include_internal`. The actors' figures leave it out of their
/// scope and apply it themselves (an internal user is never an actor, but is a top actor when
/// internal users are included).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Internal {
    Apply,
    Ignore,
}

/// The filter's conditions on rows whose fields are `columns`; `TRUE` when it has none.
pub(crate) fn condition(filter: &Filter, columns: Columns, internal: Internal) -> Condition {
    let mut all = Condition::all();
    if !filter.users.is_empty() {
        all = all.add(columns.user_id.is_in(filter.users.iter().copied()));
    }
    if !filter.actions.is_empty() {
        all = all.add(columns.verb.is_in(filter.actions.iter().cloned()));
    }
    if !filter.object_types.is_empty() {
        all = all.add(columns.object_type.is_in(filter.object_types.iter().cloned()));
    }
    if internal == Internal::Apply && !filter.include_internal {
        all = all.add(columns.user_action);
    }
    all
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sea_orm::{DbBackend, Value};

    use super::*;
    use crate::audit::sql::Sql;
    use crate::filter::{FilterInput, Purpose};

    fn filter(users: &[i64], actions: &[&str], include_internal: bool) -> Filter {
        let input = FilterInput {
            users: users.to_vec(),
            actions: actions.iter().map(|verb| verb.to_string()).collect(),
            include_internal: Some(include_internal),
            ..Default::default()
        };
        let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
        Filter::parse(input, Purpose::List, now).expect("a filter")
    }

    fn written(backend: DbBackend, filter: &Filter, columns: Columns, internal: Internal) -> (String, Vec<Value>) {
        let mut sql = Sql::new(backend);
        sql.push("WHERE x = ").bind(7_i64).push_condition(condition(filter, columns, internal));
        let statement = sql.into_statement();
        (statement.sql, statement.values.map(|values| values.0).unwrap_or_default())
    }

    #[test]
    fn the_log_and_the_rollups_get_the_same_conditions_on_their_own_columns() {
        let scope = filter(&[2, 3], &["update"], false);
        let (log, values) = written(DbBackend::Postgres, &scope, Columns::log(), Internal::Apply);
        assert_eq!(
            log,
            r#"WHERE x = $1 AND ("t"."user_id" IN ($2, $3) AND "a"."verb" IN ($4) AND ("u"."is_internal" IS NULL OR (NOT "u"."is_internal")))"#
        );
        assert_eq!(values, [Value::from(7_i64), 2_i64.into(), 3_i64.into(), "update".into()]);

        let (per_user, _) = written(DbBackend::Postgres, &scope, Columns::rollup(true), Internal::Apply);
        assert_eq!(
            per_user,
            r#"WHERE x = $1 AND ("r"."user_id" IN ($2, $3) AND "r"."verb" IN ($4) AND ("u"."is_internal" IS NULL OR (NOT "u"."is_internal")))"#
        );
        let verbs_only = filter(&[], &["update"], false);
        let (stored, values) = written(DbBackend::Sqlite, &verbs_only, Columns::rollup(false), Internal::Apply);
        assert_eq!(stored, r#"WHERE x = ?1 AND ("r"."verb" IN (?2) AND "r"."is_system" = ?3)"#);
        assert_eq!(values, [Value::from(7_i64), "update".into(), 0_i32.into()]);
    }

    #[test]
    fn the_actors_scope_leaves_include_internal_out_and_no_filter_writes_nothing() {
        let scope = filter(&[2], &[], false);
        let (text, _) = written(DbBackend::Postgres, &scope, Columns::rollup(true), Internal::Ignore);
        assert_eq!(text, r#"WHERE x = $1 AND ("r"."user_id" IN ($2))"#);
        let everything = filter(&[], &[], true);
        let (text, values) = written(DbBackend::Sqlite, &everything, Columns::log(), Internal::Apply);
        assert_eq!((text.as_str(), values.len()), ("WHERE x = ?1", 1));
    }
}
