//! Chart buckets from the rollups. Buckets of whole local days (days, weeks, months, quarters) sum
//! the daily counts the insights' chart computes ([`super::local_days`]) in the same statement,
//! through a map of day indexes to bucket indexes. Shorter buckets (hours) are read span by span.

use crate::audit::Snapshot;
use migration::rollup::{Grain, HOUR};
use sea_orm::{DbErr, FromQueryResult};

use super::cover::Range;
use super::local_days::{boundaries, push_day_counts};
use super::scope::{Source, rollup_sql};
use crate::filter::Filter;

#[derive(FromQueryResult)]
pub(crate) struct BucketRow {
    pub k: i64,
    pub n: i64,
    pub m: i64,
}

/// `(bucket, actions, system actions)` rows for a window whose local day `k` belongs to bucket
/// `bucket_of_day[k]`; buckets without actions have no row.
pub(crate) async fn day_buckets(
    db: &Snapshot,
    filter: &Filter,
    bucket_of_day: &[i64],
) -> Result<Vec<BucketRow>, DbErr> {
    let boundaries = boundaries(filter).ok_or_else(|| DbErr::Custom("a chart needs quarter-hour days".into()))?;
    let mut sql = rollup_sql(db).await?;
    sql.push("WITH RECURSIVE ");
    push_day_counts(&mut sql, Source::of(filter), filter, &boundaries)?;
    sql.push(", buckets(k, b) AS (VALUES ");
    for (k, bucket) in bucket_of_day.iter().enumerate() {
        let k = i64::try_from(k).map_err(|_| DbErr::Custom("window too long".into()))?;
        sql.push(if k == 0 { "(" } else { ", (" }).bind(k).push(", ").bind(*bucket).push(")");
    }
    sql.push(
        ") SELECT b.b AS k, CAST(SUM(c.n) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN c.is_system = 1 THEN c.n ELSE 0 END) AS BIGINT) AS m \
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
    let mut sql = rollup_sql(db).await?;
    sql.push("WITH spans(k, lo, hi) AS (VALUES ");
    for (k, &(lo, hi)) in (0_i64..).zip(spans) {
        sql.push(if k == 0 { "(" } else { ", (" }).bind(k).push(", ").bind(lo).push(", ").bind(hi).push(")");
    }
    sql.push(
        ") SELECT c.k AS k, CAST(SUM(c.n) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN c.is_system = 1 THEN c.n ELSE 0 END) AS BIGINT) AS m FROM (",
    );
    let ranges = [Range { grain, lo: Some(first), hi: Some(last) }];
    sql.push_rollup_rows(table, &ranges, filter, |sql, table| {
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
