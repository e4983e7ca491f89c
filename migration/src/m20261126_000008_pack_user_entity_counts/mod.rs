//! `audit_rollup_user_entity` keeps one row per user and bucket, its verbs and object types with
//! their counts packed into a JSON column `counts` (see [`audit_rollup`]'s table list): as rows of
//! their own they were nearly one per activity, 4.4M rows with an index entry each on the 10M log,
//! 0.5M packed.
//!
//! Up renames the table aside, writes the packed one in key order and drops the old one (on
//! PostgreSQL the tables are locked for the time it takes; the log's writers, who only append
//! deltas, do not wait). Zero counts are left out. Down unpacks it the same way.
//!
//! Deploying it: gateways of an earlier version must stop before this migration runs (the new
//! binary's `serve --migrate` runs it at start), or their folding would fail on the new table;
//! versions from the fifth migration on refuse to fold for a schema they do not know.
//!
//! Its statements are frozen in [`sql`] as they shipped.

mod sql;

use sea_orm_migration::prelude::*;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000008_pack_user_entity_counts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_UP, sql::SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_DOWN, sql::SQLITE_DOWN).await
    }
}
