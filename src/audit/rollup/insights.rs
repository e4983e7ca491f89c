//! Every insights figure from the rollups, in one statement, in the row shape the plain path uses.

use migration::rollup::{DAY, Grain, HOUR, Rollup};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::cover::{Range, Window, ceil_to, cover, floor_to};
use super::scope::{Source, user_table};
use super::seek::instant;
use crate::audit::figures::{FigureRow, Insights, assemble};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// Every figure for `filter` (closed window, [`super::covers`]) in one statement over the
/// rollups, in the row shape the plain path uses:
/// - the chart from `audit_rollup_time`, or under a `users` filter from the per-user table;
/// - the actors from `audit_rollup_actor` (`audit_rollup_user` under an `actions` filter);
/// - the top entity type from `audit_rollup_entity`, or under a `users` filter from
///   `audit_rollup_user_entity` for whole days plus those users' own rows at the ragged ends.
pub async fn insights(db: &DatabaseConnection, filter: &Filter) -> Result<Insights, DbErr> {
    let days = filter.days();
    let window = Window::of(filter);
    let start = window.start.ok_or_else(|| DbErr::Custom("insights need a closed window".into()))?;
    let day_count = i64::try_from(days.len()).map_err(|_| DbErr::Custom("window too long".into()))?;
    let ranges = cover(window, Grain::Month);
    let source = Source::of(filter);

    let mut sql = Sql::new(db.get_database_backend());
    let byte_order = sql.dialect.byte_order();
    sql.push("WITH RECURSIVE ");
    push_chart(&mut sql, source, filter, start, day_count);
    sql.push(", per_user AS (SELECT r.user_id AS user_id, SUM(r.n) AS n FROM (")
        .push_rollup_rows(user_table(filter), |sql, table| {
            sql.push(&format!("SELECT r.user_id AS user_id, r.n AS n FROM {table} r WHERE "))
                .push_ranges(&ranges)
                .push_actions_and_users(source, filter);
        })
        .push(") r GROUP BY r.user_id HAVING SUM(r.n) > 0) ");
    sql.push(
        "SELECT 'day' AS figure, k, CAST(NULL AS TEXT) AS name, CAST(SUM(n) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN is_system = 1 THEN n ELSE 0 END) AS BIGINT) AS m \
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
    push_entity_counts(&mut sql, source, filter, &ranges)?;
    sql.push(") AS e GROUP BY e.object_type HAVING SUM(e.n) > 0 ORDER BY n DESC, e.object_type ")
        .push(byte_order)
        .push(" ASC LIMIT 1) AS top_entity");

    let rows = FigureRow::find_by_statement(sql.into_statement()).all(db).await?;
    assemble(&days, rows)
}

/// Writes a query of `(object_type, n)` rows whose sums per object type are the counts over
/// `ranges` in the filter's scope.
pub(super) fn push_entity_counts(
    sql: &mut Sql,
    source: Source,
    filter: &Filter,
    ranges: &[Range],
) -> Result<(), DbErr> {
    let head = "SELECT r.object_type AS object_type, r.n AS n FROM";
    match source {
        Source::Time => {
            sql.push_rollup_rows(Rollup::Entity, |sql, table| {
                sql.push(&format!("{head} {table} r WHERE "))
                    .push_ranges(ranges)
                    .push_rollup_filters(Source::Time, filter);
            });
        }
        Source::Users => {
            // This table has no quarter hours: the ragged ends are counted from the log, where the
            // users' own rows are found through `ix_transaction_user_id_issued_at`.
            let (quarters, whole): (Vec<Range>, Vec<Range>) =
                ranges.iter().partition(|range| range.grain == Grain::QuarterHour);
            sql.push_rollup_rows(Rollup::UserEntity, |sql, table| {
                sql.push(&format!("{head} {table} r LEFT JOIN users u ON u.id = r.user_id WHERE "))
                    .push_ranges(&whole)
                    .push_rollup_filters(Source::Users, filter);
            });
            if !quarters.is_empty() {
                // An insights window is closed, so are its ranges.
                let bound = |seconds: Option<i64>| {
                    seconds.ok_or_else(|| DbErr::Custom("an open range in an insights window".into())).and_then(instant)
                };
                let spans = quarters.iter().map(|range| Ok((bound(range.lo)?, bound(range.hi)?))).collect::<Result<
                    Vec<_>,
                    DbErr,
                >>(
                )?;
                sql.push(" UNION ALL SELECT a.object_type, COUNT(*)")
                    .push_scope_within(filter, &spans)
                    .push(" GROUP BY a.object_type");
            }
        }
    }
    Ok(())
}

/// Writes the CTEs that end in `chart(k, is_system, n)`: signed counts whose sum per local day
/// index `k` is that day's count.
///
/// Local day `k` is `[start + k·DAY, start + (k+1)·DAY)`. Let `base` be the UTC midnight nearest
/// to `start` and `shift = start - base` (|shift| ≤ 12 h), and `B_j = base + j·DAY`. Then local day
/// `k` is UTC day `B_k` with the quarter hours between the two midnights moved:
/// - `shift > 0`: day `k` = day row `B_k` − `[B_k, B_k + shift)` + `[B_{k+1}, B_{k+1} + shift)`;
/// - `shift < 0`: day `k` = day row `B_k` + `[B_k + shift, B_k)` − `[B_{k+1} + shift, B_{k+1})`.
///
/// So the quarter hours of `[B_j + min(shift, 0), B_j + max(shift, 0))` count `∓1` for day `j` and
/// `±1` for day `j - 1`. They are read range by range (a join with the day numbers, so each range
/// is an index range scan): at most 12 hours a day, as whole hours from the time table's hour grain
/// plus up to three quarter hours (the per-user tables have quarter hours only).
pub(super) fn push_chart(sql: &mut Sql, source: Source, filter: &Filter, start: i64, day_count: i64) {
    let midnight = floor_to(start, DAY);
    let (base, shift) = if start - midnight <= DAY / 2 {
        (midnight, start - midnight)
    } else {
        (midnight + DAY, start - midnight - DAY)
    };
    let end = base + day_count * DAY;
    let sign = shift.signum();
    let is_system = source.is_system();
    if shift != 0 {
        // The moved span `[lo, hi)` relative to each UTC midnight, in whole hours where the time
        // table has them (a quarter of the rows) and quarter hours for the rest.
        let (lo, hi) = (shift.min(0), shift.max(0));
        let mut spans = Vec::new();
        if source == Source::Time {
            let (hours_lo, hours_hi) = if shift > 0 { (0, floor_to(hi, HOUR)) } else { (ceil_to(lo, HOUR), 0) };
            spans.push((Grain::Hour, hours_lo, hours_hi));
            spans.push((Grain::QuarterHour, lo, hours_lo));
            spans.push((Grain::QuarterHour, hours_hi, hi));
        } else {
            spans.push((Grain::QuarterHour, lo, hi));
        }
        // The day numbers 0..=N (a recursive CTE: SQLite has no `generate_series` built in).
        sql.push("days(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM days WHERE j < ")
            .bind(day_count)
            .push("), moved AS (SELECT j, is_system, SUM(n) AS n FROM (");
        for (i, &(grain, from, to)) in spans.iter().filter(|(_, from, to)| from < to).enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            // The table, its join and the system flag are fixed SQL chosen by `source`; every
            // number is bound. `{DAY}` is a constant of the query's shape.
            let table = source.table(filter);
            // The compacted rows: a join with the day numbers, so each day's span is an index
            // range scan.
            sql.push(&format!(
                "SELECT d.j AS j, {is_system} AS is_system, r.n AS n FROM days d JOIN {table} r ON r.grain = ",
                table = table.name(),
            ))
            .bind(grain as i64)
            .push(" AND r.bucket >= ")
            .bind(base + from)
            .push(&format!(" + d.j * {DAY} AND r.bucket < "))
            .bind(base + to)
            .push(&format!(" + d.j * {DAY}{join} WHERE TRUE", join = source.join()));
            sql.push_rollup_filters(source, filter);
            // The deltas not compacted yet (few, and not indexed): each row's day by arithmetic,
            // kept when it falls in `[B_j + from, B_j + to)` for some day `j` in `0..=N`.
            let pending = table.pending(sql.dialect.0);
            sql.push(" UNION ALL SELECT (r.bucket - ")
                .bind(base + from)
                .push(&format!(
                    ") / {DAY} AS j, {is_system} AS is_system, r.n AS n FROM {pending} r{join} WHERE r.grain = ",
                    join = source.join(),
                ))
                .bind(grain as i64)
                .push(" AND r.bucket >= ")
                .bind(base + from)
                .push(" AND r.bucket < ")
                .bind(base + to + day_count * DAY)
                .push(" AND (r.bucket - ")
                .bind(base + from)
                .push(&format!(") % {DAY} < "))
                .bind(to - from);
            sql.push_rollup_filters(source, filter);
        }
        sql.push(") AS m GROUP BY j, is_system), ");
    }
    sql.push("chart AS (SELECT (r.bucket - ")
        .bind(base)
        .push(&format!(") / {DAY} AS k, r.is_system AS is_system, SUM(r.n) AS n"))
        .push_rollup_scope(source, filter, &[Range { grain: Grain::Day, lo: Some(base), hi: Some(end) }])
        .push(" GROUP BY r.bucket, r.is_system");
    if shift != 0 {
        sql.push(" UNION ALL SELECT j, is_system, ")
            .bind(-sign)
            .push(" * n FROM moved UNION ALL SELECT j - 1, is_system, ")
            .bind(sign)
            .push(" * n FROM moved");
    }
    sql.push(")");
}
