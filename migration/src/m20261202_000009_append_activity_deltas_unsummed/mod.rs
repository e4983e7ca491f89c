//! The `activity` insert and delete triggers append their deltas as they are, one per activity,
//! instead of summed by key (see [`audit_rollup`]'s `Deltas`): all of an insert's deltas are
//! `+1` and all of a delete's `-1`, so summing them could only merge an activity with another of
//! the same statement, moment, user, verb and object type, and the folding and the readers sum
//! the pending deltas anyway. The aggregation was a large part of what a request-shaped writer paid
//! per `INSERT` on PostgreSQL (BENCHMARKS.md, "Write cost"). The other triggers (updates, and the
//! `users` events) still sum, so that what did not move cancels out.
//!
//! Pending deltas stay as they are: they mean the same under either trigger. Deploying it: a
//! gateway of an earlier version may keep running; from the fifth migration on it stops folding
//! for a schema it does not know, and its answers stay exact with the deltas pending.
//!
//! Its statements are frozen in [`sql`] as they shipped.

mod sql;

use sea_orm_migration::prelude::*;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000009_append_activity_deltas_unsummed"
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

    /// On SQLite too (its migrations run outside one by default), so that no writer ever finds
    /// the log between a dropped trigger and its replacement.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
