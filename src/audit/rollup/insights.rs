//! Every insights figure from the rollups, in one statement, in the row shape the plain path uses.

use crate::audit::Snapshot;
use audit_rollup::Rollup;
use sea_orm::{DbErr, FromQueryResult};

use super::cover::{Window, signed_cover};
use super::local_days::{boundaries, define_day_counts};
use super::scope::{Deltas, Source, pending_deltas, user_table};
use crate::audit::figures::{FigureRow, Insights, assemble};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// Every figure for `filter` (closed window, [`super::covers`]) in one statement over the
/// rollups, in the row shape the plain path uses:
/// - the chart from `audit_rollup_total` (`audit_rollup_time` under an `actions` filter), or under
///   a `users` filter from the per-user table;
/// - the actors from `audit_rollup_actor` (`audit_rollup_user` under an `actions` filter);
/// - the top entity type from `audit_rollup_entity`, or under a `users` filter from
///   `audit_rollup_user_entity` for whole days plus those users' own rows at the ragged ends.
pub async fn insights(db: &Snapshot, filter: &Filter) -> Result<Insights, DbErr> {
    let days = filter.days();
    let boundaries = boundaries(filter).ok_or_else(|| DbErr::Custom("insights need quarter-hour days".into()))?;
    let day_count = i64::try_from(days.len()).map_err(|_| DbErr::Custom("window too long".into()))?;
    let window = Window::of(filter);
    let cover = signed_cover(window);
    let source = Source::of(filter);

    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    define_day_counts(&mut sql, source, filter, &boundaries, deltas)?;
    sql.try_with("per_user", |sql| {
        sql.push(" AS (SELECT r.user_id AS user_id, SUM(r.n) AS n FROM (")
            .push_rollup_rows(user_table(filter), &cover.all(), filter, deltas, |sql, table| {
                sql.push("SELECT r.user_id AS user_id, ")
                    .push_cover_rows(&cover, table, "")
                    .push_actions_and_users(source, filter);
            })?
            .push(") r GROUP BY r.user_id HAVING SUM(r.n) > 0)");
        Ok::<(), DbErr>(())
    })?;
    sql.push(
        "SELECT 'day' AS figure, k AS item, CAST(NULL AS TEXT) AS object_type, CAST(SUM(n) AS BIGINT) AS actions, \
         CAST(SUM(CASE WHEN is_system = 1 THEN n ELSE 0 END) AS BIGINT) AS system_actions \
         FROM chart WHERE k >= 0 AND k < ",
    )
    .bind(day_count);
    sql.push(&format!(
        " GROUP BY k \
         UNION ALL \
         SELECT 'actors', CAST(NULL AS BIGINT), CAST(NULL AS TEXT), COUNT(*), 0 \
         FROM per_user p JOIN users u ON u.id = p.user_id WHERE NOT u.is_internal \
         UNION ALL \
         SELECT * FROM (SELECT 'top_actor', p.user_id, CAST(NULL AS TEXT), CAST(p.n AS BIGINT) AS n, 0 \
         FROM per_user p JOIN users u ON u.id = p.user_id{internal} ORDER BY p.n DESC, p.user_id ASC LIMIT 1) AS top_actor \
         UNION ALL \
         SELECT * FROM (SELECT 'top_entity', CAST(NULL AS BIGINT), e.object_type, CAST(SUM(e.n) AS BIGINT) AS n, 0 \
         FROM (",
        internal = if filter.include_internal { "" } else { " WHERE NOT u.is_internal" },
    ));
    push_entity_counts(&mut sql, source, filter, window, deltas)?;
    sql.push(") AS e GROUP BY e.object_type HAVING SUM(e.n) > 0 ORDER BY n DESC, e.object_type ")
        .push(byte_order)
        .push(" ASC LIMIT 1) AS top_entity");

    let rows = FigureRow::find_by_statement(sql.into_statement()).all(db).await?;
    assemble(&days, rows)
}

/// Writes a query of `(object_type, n)` rows whose sums per object type are the counts over
/// `window` in the filter's scope.
pub(super) fn push_entity_counts(
    sql: &mut Sql,
    source: Source,
    filter: &Filter,
    window: Window,
    deltas: Deltas,
) -> Result<(), DbErr> {
    // The per-user table keeps days and months; the ragged ends come from those users' own rows in
    // the log (`ix_transaction_user_id_issued_at` finds them).
    let (table, columns) = match source {
        Source::Total | Source::Time => (Rollup::ActionsByVerbAndObjectType, Source::Time),
        Source::Users => (Rollup::UserActionsByVerbAndObjectType, Source::Users),
    };
    let cover = signed_cover(window);
    sql.push_rollup_rows(table, &cover.all(), filter, deltas, |sql, table| {
        sql.push("SELECT r.object_type AS object_type, ")
            .push_cover_rows(&cover, table, columns.join())
            .push_rollup_filters(columns, filter);
    })?;
    Ok(())
}
