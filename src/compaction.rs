//! Folding the rollup deltas in while the gateway serves.
//!
//! The triggers append every change to `audit_rollup_delta`; readers add whatever is still there
//! to the rollup tables' counts, so answers are exact whether or not this runs. It keeps them
//! fast: the deltas are read in full by every rollup query, so they should stay a few seconds'
//! worth of writes. `migration::rollup::compact` does the folding; this is only its timer.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

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
            match migration::rollup::compact(&db).await {
                Ok(folded) => {
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
