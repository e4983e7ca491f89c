//! The audit rollups (see [`crate::rollup`]): their tables and triggers, and a backfill from the
//! existing log, one calendar month of transactions per batch, with progress in the log.
//!
//! The triggers are created before the backfill, inside the migration's transaction: on
//! PostgreSQL `CREATE TRIGGER` holds a lock that makes writers wait until the migration commits, so
//! no row is missed or counted twice while the backfill runs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, FromQueryResult, Statement};

use crate::rollup;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(FromQueryResult)]
struct Span {
    first: Option<i64>,
    last: Option<i64>,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for statement in rollup::create_tables(backend).into_iter().chain(rollup::create_triggers(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        backfill(db, backend).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in rollup::drop_triggers(manager.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        for name in rollup::TABLE_NAMES {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {name}")).await?;
        }
        Ok(())
    }
}

/// Fills the rollups from the log, a calendar month of `issued_at` per statement.
async fn backfill(db: &SchemaManagerConnection<'_>, backend: DbBackend) -> Result<(), DbErr> {
    let epoch = |column: &str| match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER)"),
    };
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
        let from = format!("'{}'", window[0].format("%Y-%m-%d %H:%M:%S"));
        let to = format!("'{}'", window[1].format("%Y-%m-%d %H:%M:%S"));
        for statement in rollup::apply(backend, &rollup::activity_deltas(Some(&from), Some(&to))) {
            db.execute_unprepared(&statement).await?;
        }
        tracing::info!(month = %window[0].format("%Y-%m"), done = i + 1, of = months.len() - 1, "audit rollups backfilled");
    }
    Ok(())
}

/// The starts of the calendar months from the one holding `first` to the one after `last`
/// (seconds since the epoch, UTC).
fn month_starts(first: i64, last: i64) -> Result<Vec<chrono::NaiveDateTime>, DbErr> {
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
