//! `audit_rollup_user` keeps no quarter hours (see [`audit_rollup`]'s table list): they were
//! three rows in four of it (5.1M on the 10M log, about 630 MB). Readers count what a table does
//! not keep from the log itself: here the ragged ends of a window under an `actions` filter.
//!
//! Up deletes those rows. On PostgreSQL it writes the table anew with the rows it keeps, which
//! gives the space back (the table is locked for the seconds it takes, 20 s on the 10M log; the
//! log's writers, who only append deltas, do not wait). SQLite keeps the freed pages for new rows
//! (`VACUUM` returns them to the file system). Down counts them again from the log, minus the
//! deltas still pending, which the folding adds.
//!
//! Deploying it: gateways of an earlier version must stop before this migration runs (the new
//! binary's `serve --migrate` runs it at start), or their folding could write the dropped grains
//! again; versions from the fifth migration on refuse to fold for a schema they do not know.
//!
//! Its statements are frozen in [`sql`] as they shipped.

mod sql;

use sea_orm_migration::prelude::*;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000007_drop_user_quarter_hours"
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
