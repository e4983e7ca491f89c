//! The audit rollups (see [`audit_rollup`]): their tables and triggers, and a backfill from the
//! existing log, one calendar month of transactions per batch, with progress in the log.
//!
//! The triggers are created before the backfill, inside the migration's transaction: on
//! PostgreSQL `CREATE TRIGGER` holds a lock that makes writers wait until the migration commits, so
//! no row is missed or counted twice while the backfill runs.
//!
//! Its statements are frozen in [`sql`] as they shipped: `audit_rollup` keeps the current
//! definitions (for `seed`, `rollups rebuild` and later migrations), and a change there is a new
//! migration, never an edit here, so a database migrated long ago and a fresh one end alike.

pub(crate) mod sql;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, FromQueryResult, Statement};

use audit_rollup::month_starts;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_create_audit_rollups"
    }
}

/// The log's first and last `issued_at`, in seconds since the epoch.
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
        let (create, span, backfill) = match backend {
            DbBackend::Postgres => (sql::POSTGRES_UP, sql::POSTGRES_SPAN, sql::POSTGRES_BACKFILL),
            _ => (sql::SQLITE_UP, sql::SQLITE_SPAN, sql::SQLITE_BACKFILL),
        };
        crate::execute_all(manager, create).await?;
        let span = Span::find_by_statement(Statement::from_string(backend, span)).one(db).await?;
        let Some(Span { first: Some(first), last: Some(last) }) = span else { return Ok(()) };
        let months = month_starts(first, last)?;
        for (i, window) in months.windows(2).enumerate() {
            for statement in backfill {
                let bounds = [window[0].into(), window[1].into()];
                db.execute_raw(Statement::from_sql_and_values(backend, *statement, bounds)).await?;
            }
            tracing::info!(month = %window[0].format("%Y-%m"), done = i + 1, of = months.len() - 1, "audit rollups backfilled");
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = match manager.get_database_backend() {
            DbBackend::Postgres => sql::POSTGRES_DOWN,
            _ => sql::SQLITE_DOWN,
        };
        crate::execute_all(manager, drop).await
    }
}
