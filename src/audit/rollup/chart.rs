//! Chart buckets of whole local days (days, weeks, months, quarters) from the rollups: the daily
//! counts the insights' chart computes ([`super::local_days`]), summed per bucket in
//! the same statement through a map of day indexes to bucket indexes.

use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::local_days::{boundaries, push_day_counts};
use super::scope::Source;
use crate::audit::sql::Sql;
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
    db: &DatabaseConnection,
    filter: &Filter,
    bucket_of_day: &[i64],
) -> Result<Vec<BucketRow>, DbErr> {
    let boundaries = boundaries(filter).ok_or_else(|| DbErr::Custom("a chart needs quarter-hour days".into()))?;
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("WITH RECURSIVE ");
    push_day_counts(&mut sql, Source::of(filter), filter, &boundaries);
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
