//! Chart buckets from the rollups. Buckets of whole local days (days, weeks, months, quarters) sum
//! the daily counts the insights' chart computes ([`super::local_days`]) in the same statement,
//! through a map of day indexes to bucket indexes. Shorter buckets (hours) are read span by span.

use crate::audit::Snapshot;
use audit_rollup::{Grain, HOUR};
use sea_orm::{DbErr, FromQueryResult as _};

use super::cover::Range;
use super::local_days::{boundaries, define_day_counts};
use super::scope::{Source, pending_deltas};
use crate::audit::figures::BucketRow;
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// `(bucket, actions, system actions)` rows for a window whose local day `k` belongs to bucket
/// `bucket_of_day[k]`; buckets without actions have no row.
pub(crate) async fn day_buckets(
    db: &Snapshot,
    filter: &Filter,
    bucket_of_day: &[i64],
) -> Result<Vec<BucketRow>, DbErr> {
    let boundaries = boundaries(filter).ok_or_else(|| DbErr::Custom("a chart needs quarter-hour days".into()))?;
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    define_day_counts(&mut sql, Source::of(filter), filter, &boundaries, deltas)?;
    sql.with("buckets", |sql| {
        sql.push("(k, b) AS (VALUES ");
        for (k, bucket) in (0_i64..).zip(bucket_of_day) {
            sql.push(if k == 0 { "(" } else { ", (" }).bind(k).push(", ").bind(*bucket).push(")");
        }
        sql.push(")");
    });
    sql.push(
        "SELECT b.b AS bucket, CAST(SUM(c.n) AS BIGINT) AS actions, \
         CAST(SUM(CASE WHEN c.is_system = 1 THEN c.n ELSE 0 END) AS BIGINT) AS system_actions \
         FROM chart c JOIN buckets b ON b.k = c.k GROUP BY b.b",
    );
    BucketRow::find_by_statement(sql.into_statement()).all(db).await
}

/// `(bucket, actions, system actions)` rows for the buckets `spans[k]`: half-open UTC spans in
/// seconds, on quarter hours, oldest first and not overlapping (a chart's hours: at most 744).
/// Each is an index range scan of the rollup's quarter hours, or of its hours when it has them and
/// every span is whole hours (a table without quarter hours has the log's rows of the window
/// instead); buckets without actions have no row.
pub(crate) async fn span_buckets(
    db: &Snapshot,
    filter: &Filter,
    spans: &[(i64, i64)],
) -> Result<Vec<BucketRow>, DbErr> {
    let (Some(&(first, _)), Some(&(_, last))) = (spans.first(), spans.last()) else { return Ok(Vec::new()) };
    let source = Source::of(filter);
    let table = source.table(filter);
    let whole_hours = table.keeps(Grain::Hour) && spans.iter().all(|&(lo, hi)| lo % HOUR == 0 && hi % HOUR == 0);
    let grain = if whole_hours { Grain::Hour } else { Grain::QuarterHour };
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    sql.with_spans("spans", spans).push(
        "SELECT c.k AS bucket, CAST(SUM(c.n) AS BIGINT) AS actions, \
         CAST(SUM(CASE WHEN c.is_system = 1 THEN c.n ELSE 0 END) AS BIGINT) AS system_actions FROM (",
    );
    let ranges = [Range { grain, lo: Some(first), hi: Some(last) }];
    sql.push_rollup_rows(table, &ranges, filter, deltas, |sql, table| {
        // The table, its join and the system flag are fixed SQL chosen by `source`.
        sql.push(&format!(
            "SELECT s.k AS k, {is_system} AS is_system, r.n AS n FROM spans s JOIN {table} r ON r.grain = ",
            is_system = source.is_system(),
        ))
        .bind(grain as i64)
        .push(&format!(" AND r.bucket >= s.lo AND r.bucket < s.hi{join} WHERE r.bucket >= ", join = source.join()))
        .bind(first)
        .push(" AND r.bucket < ")
        .bind(last);
        sql.push_rollup_filters(source, filter);
    })?;
    sql.push(") c GROUP BY c.k");
    BucketRow::find_by_statement(sql.into_statement()).all(db).await
}
