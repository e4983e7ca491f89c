//! Whether the database is known to be away, so requests can fail at once while it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::response::Response;
use sea_orm::DatabaseConnection;

use crate::error::DatabaseAway;

/// Whether the database is known to be away. Once a request finds it away, every request gets 503
/// at once instead of waiting for the pool to time out, and one background probe pings the
/// database until it answers again; then requests flow as before, with nothing to restart.
#[derive(Clone, Default)]
pub struct Availability(Arc<AvailabilityState>);

#[derive(Default)]
struct AvailabilityState {
    down: AtomicBool,
    probing: AtomicBool,
}

/// How often the probe pings a database that is away.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);

impl Availability {
    pub fn is_down(&self) -> bool {
        self.0.down.load(Ordering::Acquire)
    }

    /// Passes `response` through, marking the database away if the response says it was.
    pub fn observe(&self, db: &DatabaseConnection, response: Response) -> Response {
        if response.extensions().get::<DatabaseAway>().is_some() {
            self.report_down(db);
        }
        response
    }

    fn report_down(&self, db: &DatabaseConnection) {
        self.0.down.store(true, Ordering::Release);
        if self.0.probing.swap(true, Ordering::AcqRel) {
            return; // one probe is enough
        }
        tracing::warn!("database unavailable: answering 503 until it is reachable again");
        let (state, db) = (self.0.clone(), db.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                if db.ping().await.is_ok() {
                    state.down.store(false, Ordering::Release);
                    state.probing.store(false, Ordering::Release);
                    tracing::info!("database reachable again");
                    return;
                }
            }
        });
    }
}
