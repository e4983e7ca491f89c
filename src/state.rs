//! What every handler shares, and the limits it was built with. A module of its own so that the
//! faces and the admission layer can import it without importing the router that uses them.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use sea_orm::DatabaseConnection;

use crate::auth::TokenCache;
use crate::availability::Availability;
use crate::graphql;
use crate::live::Hub;
use crate::rate_limit::RateLimiter;
use crate::server::Drain;

/// What one request and one connection may cost. The defaults are the documented ones
/// (`docs/limits.md`); `serve` takes each as a flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Request bodies larger than this get 413 before they are read further.
    pub max_body_bytes: usize,
    /// Past this a request gets 504 and its database statement is cancelled (PostgreSQL's
    /// `statement_timeout` is set to the same value by the CLI).
    pub request_timeout: Duration,
    /// A connection whose request headers take longer than this is closed. hyper starts this
    /// timer whenever it waits for a request head, so it also closes idle keep-alive connections.
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed (a client that
    /// stops reading its response, or stalls half-way through a body).
    pub idle_timeout: Duration,
    /// On SIGTERM or SIGINT, in-flight requests get this long to finish.
    pub drain_timeout: Duration,
    /// Requests per minute per token; `None` is unlimited.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// How often an open live feed (event stream or WebSocket) checks its token again, so a
    /// revoked or expired one is closed within this. Not a flag: tests shorten it.
    pub live_token_recheck: Duration,
}

impl Limits {
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_LIVE_TOKEN_RECHECK: Duration = Duration::from_secs(30);
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            drain_timeout: Self::DEFAULT_DRAIN_TIMEOUT,
            rate_limit_per_minute: None,
            live_token_recheck: Self::DEFAULT_LIVE_TOKEN_RECHECK,
        }
    }
}

/// What every handler shares. Cheap to clone: every part is a handle.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Runs GraphQL operations.
    pub graphql: Arc<graphql::Executor>,
    pub limits: Arc<Limits>,
    /// Whether the database is known to be away (requests then fail at once).
    pub availability: Availability,
    /// The tokens verified in the last second.
    pub tokens: TokenCache,
    /// Per-token request rate, when one is configured.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Origins whose pages may call the API (CORS); none by default.
    pub cors_allow_origins: Arc<Vec<HeaderValue>>,
    /// The live feed's reader and its followers.
    pub live: Hub,
    /// Set when the server drains: live feeds and WebSockets end.
    pub drain: Drain,
}

impl AppState {
    /// State with the default limits.
    pub fn new(db: DatabaseConnection) -> Self {
        AppState::with_limits(db, Limits::default())
    }

    pub fn with_limits(db: DatabaseConnection, limits: Limits) -> Self {
        AppState {
            graphql: Arc::default(),
            rate_limiter: limits.rate_limit_per_minute.map(|per_minute| Arc::new(RateLimiter::per_minute(per_minute))),
            availability: Availability::default(),
            tokens: TokenCache::default(),
            limits: Arc::new(limits),
            cors_allow_origins: Arc::default(),
            live: Hub::new(db.clone()),
            drain: Drain::default(),
            db,
        }
    }

    /// Writes nothing to the database (a hot standby, `--read-only`): the live feed polls
    /// rather than `LISTEN`, which a standby refuses and which would announce itself with a write.
    pub fn read_only(self) -> Self {
        AppState { live: Hub::polling(self.db.clone()), ..self }
    }

    /// Lets pages from `origins` call the API.
    pub fn with_cors_allow_origins(self, origins: Vec<HeaderValue>) -> Self {
        AppState { cors_allow_origins: Arc::new(origins), ..self }
    }
}
