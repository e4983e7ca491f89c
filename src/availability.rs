//! Whether the database is known to be away, so requests can fail at once while it is; and the
//! retries that keep a broken connection from being taken for a database that is away.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::response::Response;
use sea_orm::DatabaseConnection;

use crate::error::{AppError, BrokenConnection, DatabaseAway};
use crate::{db, telemetry};

/// Reruns after a broken connection: once is what a single terminated backend needs; the second
/// covers the connection the pool hands out next being one the same event broke (a connection in
/// use by another request when the backends were terminated comes back to the pool dead, after
/// the pruning).
const RETRIES: usize = 2;

/// Runs `attempt`, and again (at most [`RETRIES`] times) while it met a broken connection: a
/// backend terminated under one of the pool's connections (an administrator, a pooler, a failover,
/// `idle_session_timeout`) fails the statement that meets it, not the database. Before each retry
/// the pool's idle connections are checked ([`db::prune_broken`]), so it runs on a live or a new
/// one; a database that is away fails every attempt (and the caller's answer says so).
pub async fn retry_broken<T, Attempt>(db: &DatabaseConnection, attempt: impl Fn() -> Attempt) -> Result<T, AppError>
where
    Attempt: Future<Output = Result<T, AppError>>,
{
    let mut result = attempt().await;
    for _ in 0..RETRIES {
        match &result {
            Err(error) if error.is_broken_connection() => {
                tracing::info!(%error, "a database connection broke: retrying");
                telemetry::retried();
                db::prune_broken(db).await;
                result = attempt().await;
            }
            _ => break,
        }
    }
    result
}

/// [`retry_broken`] for a handler that renders its own response (GraphQL's), which marks one that
/// met a broken connection with [`BrokenConnection`].
pub async fn retry_broken_response<Attempt>(db: &DatabaseConnection, attempt: impl Fn() -> Attempt) -> Response
where
    Attempt: Future<Output = Response>,
{
    let mut response = attempt().await;
    for _ in 0..RETRIES {
        if response.extensions().get::<BrokenConnection>().is_none() {
            break;
        }
        tracing::info!("a database connection broke: retrying");
        telemetry::retried();
        db::prune_broken(db).await;
        response = attempt().await;
    }
    response
}

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
        telemetry::database_up(false);
        if self.0.probing.swap(true, Ordering::AcqRel) {
            return; // one probe is enough
        }
        tracing::warn!("database unavailable: answering 503 until it is reachable again");
        let (state, db) = (self.0.clone(), db.clone());
        tokio::spawn(async move {
            loop {
                // At once first: a request that met broken connections twice does not make a
                // database that answers a fresh one away for a whole interval.
                db::prune_broken(&db).await;
                if db.ping().await.is_ok() {
                    state.down.store(false, Ordering::Release);
                    state.probing.store(false, Ordering::Release);
                    telemetry::database_up(true);
                    tracing::info!("database reachable again");
                    return;
                }
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
        });
    }
}
