//! Migrations for the audit log (`users`, `transaction`, `activity`) and the gateway's own
//! `api_token` table, on SQLite and PostgreSQL.
//!
//! Deployments that already have an audit log keep their tables: the first migration only creates
//! what is missing (`IF NOT EXISTS`), and adds the indexes the gateway's queries need. The third
//! adds the trigger-maintained rollups of [`audit_rollup`] and backfills them from the existing log; the
//! fourth makes the triggers append deltas that the gateway folds in; the fifth adds the verb-less
//! `audit_rollup_total`; the sixth re-keys the per-user rollups on PostgreSQL; the seventh drops
//! the quarter hours of `audit_rollup_user`, which readers count from the log; the eighth packs
//! `audit_rollup_user_entity` into one row per user and bucket; the ninth makes the `activity`
//! insert and delete triggers append their deltas without summing them first; the tenth adds
//! `activity_feed`, the live feed's commit order on PostgreSQL.
//!
//! A migration never changes once shipped: its statements are its own (the third keeps a frozen
//! copy of what [`audit_rollup`] generated then), and a change is a new migration. A test holds a fresh
//! database, one migrated step by step and one whose triggers a bulk seed re-created from
//! [`audit_rollup`]'s current definitions to the same schema.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_audit_log;
mod m20261125_000002_create_api_token;
mod m20261126_000003_create_audit_rollups;
mod m20261126_000004_append_rollup_deltas;
mod m20261126_000005_add_rollup_totals;
mod m20261126_000006_key_per_user_rollups_by_user;
mod m20261126_000007_drop_user_quarter_hours;
mod m20261126_000008_pack_user_entity_counts;
mod m20261202_000009_append_activity_deltas_unsummed;
mod m20261203_000010_create_activity_feed;

/// Runs a migration's frozen statements in order, on its connection.
async fn execute_all(
    manager: &SchemaManager<'_>,
    statements: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement.as_ref()).await?;
    }
    Ok(())
}

/// Runs a migration's frozen statements for its backend: `postgres` on PostgreSQL, `sqlite` on
/// SQLite.
async fn execute_for_backend(manager: &SchemaManager<'_>, postgres: &[&str], sqlite: &[&str]) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DbBackend::Postgres => execute_all(manager, postgres).await,
        _ => execute_all(manager, sqlite).await,
    }
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_audit_log::Migration),
            Box::new(m20261125_000002_create_api_token::Migration),
            Box::new(m20261126_000003_create_audit_rollups::Migration),
            Box::new(m20261126_000004_append_rollup_deltas::Migration),
            Box::new(m20261126_000005_add_rollup_totals::Migration),
            Box::new(m20261126_000006_key_per_user_rollups_by_user::Migration),
            Box::new(m20261126_000007_drop_user_quarter_hours::Migration),
            Box::new(m20261126_000008_pack_user_entity_counts::Migration),
            Box::new(m20261202_000009_append_activity_deltas_unsummed::Migration),
            Box::new(m20261203_000010_create_activity_feed::Migration),
        ]
    }
}
