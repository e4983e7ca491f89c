//! What a data request must pass before its handler runs, in this order: the database is not
//! known to be away (else 503 at once), the bearer token is an Admin's (else 401/403), and the
//! token is within its rate (else 429). Only then is the body read: an unauthenticated client
//! cannot make the gateway buffer anything.
//!
//! The admitted [`Admin`] goes into the request's extensions for the handler and into the
//! response's for the access log, so every read of the audit log is attributable.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sea_orm::DatabaseConnection;

use crate::auth::{self, Admin};
use crate::error::{AppError, DatabaseAway, Face};
use crate::state::AppState;

/// The middleware in front of every data route (`POST /graphql`, `/api/*`).
pub async fn admit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let face = Face::of(request.uri().path());
    if state.availability.is_down() {
        return AppError::Unavailable(None).render(face);
    }
    let admin = match auth::authenticate(&state.db, request.headers()).await {
        Ok(admin) => admin,
        Err(error) => return state.availability.observe(&state.db, error.render(face)),
    };
    if let Some(limiter) = &state.rate_limiter
        && let Err(retry_after) = limiter.check(admin.token_id)
    {
        return attributed(AppError::RateLimited { retry_after }.render(face), admin);
    }
    request.extensions_mut().insert(admin);
    let response = next.run(request).await;
    attributed(state.availability.observe(&state.db, response), admin)
}

fn attributed(mut response: Response, admin: Admin) -> Response {
    response.extensions_mut().insert(admin);
    response
}

/// Requests per minute per token (GCRA: a full minute's worth may come at once, then they refill
/// evenly). Keyed by token id, so only valid tokens ever take a slot.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn per_minute(requests: NonZeroU32) -> Self {
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(requests)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err` holds how long the token must wait for its next request.
    fn check(&self, token_id: i64) -> Result<(), Duration> {
        self.limiter.check_key(&token_id).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
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
