//! PostgreSQL: the per-user rollups' keys lead with `user_id`, and an index on `(grain, bucket)`
//! (deduplicated by the B-tree: many users share a bucket) replaces their `user_id` indexes;
//! `audit_rollup_user_entity`, read only under a `users` filter, needs no second index at all (see
//! [`audit_rollup::create_tables`]). The same reads, about 480 MB less on the 10M log.
//!
//! Rebuilding the keys locks the three tables (readers and the folding wait; the log's writers,
//! who only append deltas, do not): about a minute on the 10M log. SQLite clusters its tables on
//! their keys, so there the keys stay as they are and this migration does nothing.
//!
//! Its statements are frozen in [`sql`] as they shipped.

mod sql;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000006_key_per_user_rollups_by_user"
    }
}

async fn run(manager: &SchemaManager<'_>, postgres: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    crate::execute_all(manager, postgres).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, sql::POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, sql::POSTGRES_DOWN).await
    }
}
