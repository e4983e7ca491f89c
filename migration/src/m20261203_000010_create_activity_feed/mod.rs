//! The live feed's order: `activity_feed`, one row per `INSERT` statement on `activity` (and per
//! run of consecutive ids it inserted), naming the PostgreSQL transaction that wrote those ids.
//! A reader delivers an activity at the position `(xid, id)` only once every transaction below
//! the oldest one still running has finished, so a transaction that commits a smaller id after a
//! larger one is never skipped. The statement-level trigger also sends `NOTIFY
//! audit_gateway_activity` while a gateway listens (`activity_feed_listened`, which a listening
//! gateway keeps a few seconds ahead), and the notification only wakes readers: they read by
//! position.
//!
//! The activities already in the log when it runs become one row of transaction 0 (before any
//! real one); the table is locked against writers meanwhile, so none is left out. SQLite needs
//! nothing: its one writer commits ids in order, and the feed reads `activity` by id.
//!
//! Its statements are frozen in [`sql`] as they shipped.

mod sql;

use sea_orm_migration::prelude::*;

pub struct Migration;

/// Spelled out: the derive names a migration after its file, and this one's file is `mod.rs`.
impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000010_create_activity_feed"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_UP, &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_for_backend(manager, sql::POSTGRES_DOWN, &[]).await
    }

    /// The backfill and the trigger appear together: no writer commits between them.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
