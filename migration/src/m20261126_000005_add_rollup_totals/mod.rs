//! `audit_rollup_total`: the time table without the verb, for every read without an `actions`
//! filter (see [`audit_rollup`]). Filled from `audit_rollup_time` in one statement (a few hundred
//! thousand rows on a 10M log), not from the log: the deltas still pending count for both tables
//! alike, since the folding and the readers treat every rollup table the same way.
//!
//! Deploying it: gateways of an earlier version must stop before this migration runs (the new
//! binary's `serve --migrate` runs it at start). Their folding knows only the tables of its own
//! version and would leave the deltas it folds out of the new table. (Versions from this one on
//! check for that themselves: the gateway's folding refuses a schema newer than its own.)
//!
//! Its statements are frozen in [`sql`] as they shipped, like the third and fourth migrations'.

mod sql;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261126_000004_append_rollup_deltas::sql as v2;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000005_add_rollup_totals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_UP, sql::SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                // The fourth migration's `TRUNCATE` function, which does not name the new table.
                let truncate = v2::POSTGRES_UP.iter().filter(|statement| {
                    statement.starts_with("CREATE OR REPLACE FUNCTION audit_rollup_activity_truncate()")
                });
                let statements: Vec<&str> = sql::POSTGRES_DOWN.iter().chain(truncate).copied().collect();
                crate::execute_all(manager, statements).await
            }
            _ => crate::execute_all(manager, sql::SQLITE_DOWN).await,
        }
    }
}
