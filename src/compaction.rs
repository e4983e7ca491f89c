//! Folding the rollup deltas in while the gateway serves.
//!
//! The triggers append every change to `audit_rollup_delta`; readers add whatever is still there
//! to the rollup tables' counts, so answers are exact whether or not this runs. It keeps them
//! fast: the deltas are read in full by every rollup query, so they should stay a few seconds'
//! worth of writes. `audit_rollup::compact` does the folding; this module decides whether this
//! version may fold ([`fold`]) and runs it on a timer ([`spawn`]).

use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, Statement};
use tokio::task::JoinHandle;

use crate::telemetry;

/// Folds the pending deltas into the rollup tables and returns how many it folded, unless the
/// database records a migration this version does not know. A newer version may have added a
/// rollup table, and folding deltas without it would take them from the pending ones before they
/// reached it: that table would then miss them for good. So a gateway still running while a newer
/// one migrates stops folding (and says why); its answers stay exact, since its readers add the
/// pending deltas to the tables they know.
pub async fn fold(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let unknown = unknown_migrations(db).await?;
    if !unknown.is_empty() {
        return Err(DbErr::Custom(format!(
            "the database has migrations this version does not know ({}): a newer gateway folds the rollup \
             deltas; this one leaves them pending",
            unknown.join(", ")
        )));
    }
    audit_rollup::compact(db).await
}

#[derive(FromQueryResult)]
struct Version {
    version: String,
}

/// The migrations the database records that this version does not have.
async fn unknown_migrations(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let known: Vec<String> = migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let statement = Statement::from_string(db.get_database_backend(), "SELECT version FROM seaql_migrations");
    let recorded = Version::find_by_statement(statement).all(db).await?;
    // `mod`: what the third migration recorded itself as for a while (`db::migrate` renames it).
    Ok(recorded
        .into_iter()
        .map(|row| row.version)
        .filter(|version| version != "mod" && !known.contains(version))
        .collect())
}

/// Folds the deltas every `every` until the returned task is aborted. A failed round is logged
/// and the next one tries again (a database that is away is the availability check's business);
/// a failure that repeats is logged once, and again when it ends, not every round.
pub fn spawn(db: DatabaseConnection, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        // After a stall (a long round, a suspended process) one round catches up; a burst would not.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing: Option<String> = None;
        loop {
            ticks.tick().await;
            let started = std::time::Instant::now();
            match fold(&db).await {
                Ok(folded) => {
                    telemetry::folded(folded, started);
                    if failing.take().is_some() {
                        tracing::info!("folding the rollup deltas works again");
                    }
                    if folded > 0 {
                        tracing::debug!(folded, "rollup deltas folded");
                    }
                }
                Err(error) => {
                    let error = error.to_string();
                    if failing.as_ref() != Some(&error) {
                        tracing::warn!(%error, "folding the rollup deltas failed; retrying every round");
                    }
                    failing = Some(error);
                }
            }
        }
    })
}
