//! The one error type of the request path and every error body the gateway sends. An error's
//! [`ErrorKind`] decides its HTTP status and its GraphQL `extensions.code`, and travels with a
//! GraphQL error so the HTTP layer reads the kind, never the code's text. Bodies take two shapes:
//! REST's, in the original Audit API's form, and GraphQL's `errors` ([`AppError::render`],
//! [`plain_error_body`] for the statuses the edge produces itself).
//!
//! Internal errors are logged with their cause and shown to clients only as a generic message:
//! no SQL, driver message or stack text ever reaches a response. A leaf: it knows the filter's
//! fields and nothing of the faces.

use std::time::Duration;

use async_graphql::ErrorExtensions;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::filter::{Field, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No token, or one that is unknown, expired or revoked.
    #[error("Not authenticated")]
    Unauthenticated,
    /// A valid token of a user who is not an Admin.
    #[error("Not enough permissions")]
    Forbidden,
    /// One entry per bad parameter.
    #[error("invalid input")]
    InvalidInput(Vec<FieldError>),
    /// The token has used up its rate; it may try again after `retry_after`.
    #[error("Too many requests")]
    RateLimited { retry_after: Duration },
    /// The token already has as many live feeds open as it may (`live::MAX_FOLLOWERS_PER_TOKEN`,
    /// or a WebSocket's subscriptions).
    #[error("Too many live feeds open: close one before opening another")]
    TooManyFollowers,
    /// The database cannot be reached right now: the cause, or `None` when the gateway already
    /// knows it is away and did not try.
    #[error("Service unavailable")]
    Unavailable(#[source] Option<sea_orm::DbErr>),
    /// The request's deadline passed and its database statement was cancelled.
    #[error("Request timed out")]
    Timeout,
    /// Anything else: a bug or an unexpected database answer.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The names a face gives to the filter's fields (`start_date` on REST, `startDate` on GraphQL).
pub type FieldNamer = fn(Field) -> &'static str;

/// Which face an error is rendered for.
#[derive(Clone, Copy)]
pub enum Face {
    /// A REST body, naming fields as `FieldNamer` says.
    Rest(FieldNamer),
    GraphQL,
}

impl Face {
    /// The face that serves `path`.
    pub fn of(path: &str) -> Face {
        if path == "/graphql" { Face::GraphQL } else { Face::Rest(Field::rest_name) }
    }
}

/// Marks a response that found the database away, so the admission layer can fail fast until it
/// returns.
#[derive(Clone, Copy, Debug)]
pub struct DatabaseAway;

/// Marks a GraphQL response with an error from a connection that broke under its statement, so it
/// is worth running again (`availability::retry_broken_response`).
#[derive(Clone, Copy, Debug)]
pub struct BrokenConnection;

/// What a GraphQL error raised from an [`AppError`] carries as its source: its kind, and whether
/// its connection broke.
#[derive(Clone, Copy, Debug)]
pub struct Raised {
    pub kind: ErrorKind,
    pub broken_connection: bool,
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        match classify(&err) {
            DbFailure::Broken | DbFailure::Away => AppError::Unavailable(Some(err)),
            DbFailure::Cancelled => AppError::Timeout,
            DbFailure::Other => AppError::Internal(Box::new(err)),
        }
    }
}

enum DbFailure {
    /// The statement's connection broke (reset, or its backend terminated): another one may
    /// well work, so the read is worth running again (`availability::retry_broken`).
    Broken,
    /// No connection could be had (refused, pool time-outs): a 503 the client may retry; the pool
    /// reconnects by itself.
    Away,
    /// PostgreSQL cancelled the statement at `statement_timeout`: the request's deadline.
    Cancelled,
    Other,
}

fn classify(err: &sea_orm::DbErr) -> DbFailure {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let cause = match err {
        DbErr::Conn(RuntimeErr::SqlxError(cause))
        | DbErr::Query(RuntimeErr::SqlxError(cause))
        | DbErr::Exec(RuntimeErr::SqlxError(cause)) => cause,
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return DbFailure::Away,
        _ => return DbFailure::Other,
    };
    match cause.as_ref() {
        Sqlx::Io(_) | Sqlx::WorkerCrashed => DbFailure::Broken,
        Sqlx::PoolTimedOut | Sqlx::PoolClosed => DbFailure::Away,
        Sqlx::Database(db) => match db.code().as_deref() {
            // query_canceled: our statement_timeout (nobody else cancels the gateway's statements).
            Some("57014") => DbFailure::Cancelled,
            // admin_shutdown (a terminated backend, or the server stopping), crash_shutdown, and
            // class 08 (connection exception): this connection is gone.
            Some("57P01" | "57P02") => DbFailure::Broken,
            Some(code) if code.starts_with("08") => DbFailure::Broken,
            // cannot_connect_now: the server is starting or stopping.
            Some("57P03") => DbFailure::Away,
            _ => DbFailure::Other,
        },
        _ => DbFailure::Other,
    }
}

/// What kind of failure an error is, without its details: its HTTP status and its GraphQL code
/// both follow from it, and a GraphQL error carries it (as its source) so the HTTP layer can tell
/// what happened without reading codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthenticated,
    Forbidden,
    InvalidInput,
    RateLimited,
    Unavailable,
    Timeout,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The GraphQL `extensions.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "UNAUTHENTICATED",
            ErrorKind::Forbidden => "FORBIDDEN",
            ErrorKind::InvalidInput => "BAD_USER_INPUT",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The kind a GraphQL error was raised as, if it came from an [`AppError`] (or a limit).
    pub fn of(error: &async_graphql::ServerError) -> Option<ErrorKind> {
        error.source::<Raised>().map(|raised| raised.kind)
    }
}

impl AppError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(err))
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::InvalidInput(_) => ErrorKind::InvalidInput,
            AppError::RateLimited { .. } | AppError::TooManyFollowers => ErrorKind::RateLimited,
            AppError::Unavailable(_) => ErrorKind::Unavailable,
            AppError::Timeout => ErrorKind::Timeout,
            AppError::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.kind().status()
    }

    /// Whether the error is a connection that broke under its statement, which a second attempt
    /// on another connection may well not meet (`availability::retry_broken`).
    pub fn is_broken_connection(&self) -> bool {
        matches!(self, AppError::Unavailable(Some(cause)) if matches!(classify(cause), DbFailure::Broken))
    }

    /// The GraphQL `extensions.code`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// Logs what clients must not see. Called once, where the error is rendered (or where a
    /// streamed body it cut short ends).
    pub fn log(&self) {
        match self {
            AppError::Unavailable(Some(cause)) => tracing::warn!(error = %cause, "database unavailable"),
            AppError::Internal(cause) => {
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(next) = source {
                    chain.push_str(": ");
                    chain.push_str(&next.to_string());
                    source = next.source();
                }
                tracing::error!(error = %chain, "internal error");
            }
            _ => {}
        }
    }

    /// The REST body, in the original Audit API's shape.
    pub fn rest_body(&self, name: FieldNamer) -> Value {
        match self {
            AppError::InvalidInput(errors) => {
                let detail: Vec<Value> = errors
                    .iter()
                    .map(|e| {
                        let mut entry = json!({
                            "loc": [e.field.rest_location(), name(e.field)],
                            "msg": e.msg,
                            "type": e.kind,
                        });
                        if let Some(limit) = e.limit {
                            entry["ctx"] = json!({ "limit_value": limit });
                        }
                        entry
                    })
                    .collect();
                json!({ "detail": detail })
            }
            AppError::Internal(_) => plain_error_body(Face::Rest(name), "Internal server error", self.code()),
            other => plain_error_body(Face::Rest(name), &other.to_string(), self.code()),
        }
    }

    /// Renders for `face`: REST's body, or GraphQL's `{data: null, errors}` for errors raised
    /// before execution (authentication, rate, availability). The status and headers are the same.
    pub fn render(self, face: Face) -> Response {
        let body = match face {
            Face::Rest(name) => {
                self.log();
                self.rest_body(name)
            }
            Face::GraphQL => {
                // Raised before execution: no `data`, and no `locations` (there is no document
                // position to point at).
                let mut error = self.graphql_error().into_server_error(Default::default());
                error.locations.clear();
                json!({ "errors": [error] })
            }
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::RateLimited { retry_after } => {
                // Whole seconds, rounded up: retrying earlier would only be refused again.
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            AppError::Unavailable(Some(_)) => {
                response.extensions_mut().insert(DatabaseAway);
            }
            _ => {}
        }
        response
    }

    /// The GraphQL error (logging what clients must not see). Built explicitly: a bare `?` would
    /// drop the extensions.
    pub fn into_graphql(self) -> async_graphql::Error {
        self.graphql_error()
    }

    fn graphql_error(&self) -> async_graphql::Error {
        self.log();
        let message = match self {
            AppError::InvalidInput(errors) => {
                errors.iter().map(|e| format!("{}: {}", e.field.graphql_name(), e.msg)).collect::<Vec<_>>().join("; ")
            }
            AppError::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        };
        let mut error = async_graphql::Error::new(message);
        error.source =
            Some(std::sync::Arc::new(Raised { kind: self.kind(), broken_connection: self.is_broken_connection() }));
        let code = self.code();
        error = error.extend_with(|_, ext| ext.set("code", code));
        if let AppError::InvalidInput(errors) = self
            && let Some(first) = errors.first()
        {
            let fields: Vec<async_graphql::Value> =
                errors.iter().map(|e| async_graphql::Value::from(e.field.graphql_name())).collect();
            error = error.extend_with(|_, ext| {
                ext.set("field", first.field.graphql_name());
                ext.set("fields", async_graphql::Value::List(fields));
            });
        }
        error
    }
}

/// The body of an error that is no more than a message and a code, for `face`: REST's
/// `{"detail": …}`, or GraphQL's `{"errors": [{"message", "extensions": {"code"}}]}` without
/// `data` (the request never executed). What the edge answers for statuses it produced without a
/// body, and GraphQL for a request it could not even read.
pub fn plain_error_body(face: Face, message: &str, code: &str) -> Value {
    match face {
        Face::GraphQL => json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
        Face::Rest(_) => json!({ "detail": message }),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.render(Face::Rest(Field::rest_name))
    }
}
