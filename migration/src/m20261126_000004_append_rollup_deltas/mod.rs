//! Rollups v2: the triggers append to `audit_rollup_delta` instead of updating the rollup tables,
//! and the gateway folds the deltas in (see [`audit_rollup`], "Who keeps them right").
//!
//! Nothing is backfilled: the rollup tables the first version kept are exactly right, and from
//! this migration on every change reaches them through the deltas. On PostgreSQL `DROP TRIGGER`
//! and `CREATE TRIGGER` hold locks that make writers wait until the migration commits, so no write
//! falls between the old triggers and the new ones.
//!
//! Its statements are frozen in [`sql`] as they shipped, like the third migration's.

pub(crate) mod sql;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261126_000003_create_audit_rollups::sql as v1;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000004_append_rollup_deltas"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_UP, sql::SQLITE_UP).await
    }

    /// Drops this version's triggers, folds what is pending, puts the first version's triggers back
    /// and drops the delta table. The triggers go first: on PostgreSQL dropping them locks writers
    /// out until the migration commits, so no delta can land after the folding.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (fold, drop, v1_up) = match manager.get_database_backend() {
            DbBackend::Postgres => (sql::POSTGRES_FOLD, sql::POSTGRES_DROP_TRIGGERS, v1::POSTGRES_UP),
            _ => (sql::SQLITE_FOLD, sql::SQLITE_DROP_TRIGGERS, v1::SQLITE_UP),
        };
        // The first version's triggers (and PostgreSQL's trigger functions), not its tables.
        let v1_triggers =
            v1_up.iter().filter(|statement| statement.contains(" TRIGGER ") || statement.contains(" FUNCTION "));
        let statements: Vec<&str> = drop
            .iter()
            .chain(fold)
            .chain(v1_triggers)
            .copied()
            .chain(["DROP TABLE IF EXISTS audit_rollup_delta"])
            .collect();
        crate::execute_all(manager, statements).await
    }
}
