//! The audit rollups (see [`crate::rollup`]): their tables and triggers, and a backfill from the
//! existing log, one calendar month of transactions per batch, with progress in the log.
//!
//! The triggers are created before the backfill, inside the migration's transaction: on
//! PostgreSQL `CREATE TRIGGER` holds a lock that makes writers wait until the migration commits, so
//! no row is missed or counted twice while the backfill runs.

use sea_orm_migration::prelude::*;

use crate::rollup;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for statement in rollup::create_tables(backend).into_iter().chain(rollup::create_triggers(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        rollup::backfill(db).await
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
