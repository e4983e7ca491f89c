//! Filling the rollups from the log: after a bulk load that bypassed the triggers ([`rebuild`]),
//! and the backfill the migration that created them ran over an existing log.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, TransactionTrait};

use crate::bucket::epoch_seconds;
use crate::catalogue::{clear, lock_rollups, select_deltas, table_names};
use crate::fold::apply;

/// Every activity whose transaction was issued in `[from, to)` (SQL literals, each optional), as
/// `+1` deltas: what the backfill adds.
pub fn activity_deltas(from: Option<&str>, to: Option<&str>) -> String {
    let mut sql = select_deltas("t.issued_at", "t.user_id", "COALESCE(u.is_internal, FALSE)", "a", 1);
    sql.push_str(
        " FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id LEFT JOIN users u ON u.id = t.user_id \
         WHERE TRUE",
    );
    if let Some(from) = from {
        sql.push_str(&format!(" AND t.issued_at >= {from}"));
    }
    if let Some(to) = to {
        sql.push_str(&format!(" AND t.issued_at < {to}"));
    }
    sql
}

#[derive(FromQueryResult)]
struct Span {
    first: Option<i64>,
    last: Option<i64>,
}

/// Adds the whole log to the rollups, a calendar month of `issued_at` per statement, logging each
/// month ([`rebuild`] empties the tables first; the migration that created them runs its own frozen
/// copy of these statements).
pub async fn backfill(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let epoch = |column: &str| epoch_seconds(backend, column);
    let span = Span::find_by_statement(Statement::from_string(
        backend,
        format!(
            "SELECT {} AS first, {} AS last FROM \"transaction\"",
            epoch("MIN(issued_at)"),
            epoch("MAX(issued_at)")
        ),
    ))
    .one(db)
    .await?;
    let Some(Span { first: Some(first), last: Some(last) }) = span else { return Ok(()) };
    let months = month_starts(first, last)?;
    for (i, window) in months.windows(2).enumerate() {
        // Literals of timestamps this function formatted itself: no input reaches them.
        let from = format!("'{}'", window[0].format("%Y-%m-%d %H:%M:%S"));
        let to = format!("'{}'", window[1].format("%Y-%m-%d %H:%M:%S"));
        for statement in apply(backend, &activity_deltas(Some(&from), Some(&to))) {
            db.execute_unprepared(&statement).await?;
        }
        tracing::info!(month = %window[0].format("%Y-%m"), done = i + 1, of = months.len() - 1, "audit rollups backfilled");
    }
    Ok(())
}

/// The starts of the calendar months from the one holding `first` to the one after `last`
/// (seconds since the epoch, UTC).
pub fn month_starts(first: i64, last: i64) -> Result<Vec<chrono::NaiveDateTime>, DbErr> {
    use chrono::{Datelike, Months, NaiveDate};
    let date = |seconds: i64| {
        chrono::DateTime::from_timestamp(seconds, 0)
            .map(|at| at.date_naive())
            .ok_or_else(|| DbErr::Custom(format!("issued_at {seconds} s is out of range")))
    };
    let (first, last) = (date(first)?, date(last)?);
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1)
        .ok_or_else(|| DbErr::Custom("no first month".into()))?;
    let mut starts = vec![month];
    while month <= last {
        month = month.checked_add_months(Months::new(1)).ok_or_else(|| DbErr::Custom("month overflow".into()))?;
        starts.push(month);
    }
    Ok(starts.into_iter().map(|day| day.and_time(chrono::NaiveTime::MIN)).collect())
}

/// Rebuilds the rollups' indexes after a bulk load ([`rebuild`], the seed), on PostgreSQL. A load
/// fills the per-user tables out of key order (a month of every user at a time), and the pages it
/// splits stay half empty. `CONCURRENTLY`: reads and foldings go on meanwhile. (SQLite keeps each
/// table in its key's own B-tree, which only `VACUUM` repacks.)
pub async fn repack(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for name in table_names() {
        db.execute_unprepared(&format!("REINDEX TABLE CONCURRENTLY {name}")).await?;
    }
    Ok(())
}

/// Recomputes the rollups from the log in one transaction, for a log that was written with the
/// triggers bypassed. On PostgreSQL the log tables are locked against writes and the rollups
/// against folding meanwhile (reads go on), so nothing is missed or counted twice; after the
/// commit it rebuilds the rollups' indexes ([`repack`]).
pub async fn rebuild(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE activity, \"transaction\", users IN SHARE ROW EXCLUSIVE MODE").await?;
        // And a folding in flight finishes first, and none starts until this commits: otherwise
        // rows it upserted after the tables were emptied would be counted again by the backfill.
        txn.execute_unprepared(&lock_rollups()).await?;
    }
    for statement in clear() {
        txn.execute_unprepared(&statement).await?;
    }
    backfill(&txn).await?;
    txn.commit().await?;
    repack(db).await
}
