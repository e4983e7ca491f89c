//! The one error type of the request path, and its two renderings: an HTTP status with a JSON body
//! (REST, in the shape of the original Audit API) and a GraphQL error with `extensions.code`.
//!
//! Internal errors are logged with their cause and shown to clients only as a generic message:
//! no SQL, driver message or stack text ever reaches a response.

use async_graphql::ErrorExtensions;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::filter::FieldError;

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
    /// The database cannot be reached right now.
    #[error("Service unavailable")]
    Unavailable(#[source] sea_orm::DbErr),
    /// Anything else: a bug or an unexpected database answer.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The names a face gives to the filter's fields (`start_date` on REST, `startDate` on GraphQL).
pub type FieldNamer = fn(crate::filter::Field) -> &'static str;

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_unavailable(&err) { AppError::Unavailable(err) } else { AppError::Internal(Box::new(err)) }
    }
}

/// Whether an error means the database is away (refused or dropped connections, pool time-outs)
/// rather than broken: those are a 503 the client may retry, and the pool recovers by itself.
fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(cause)) | DbErr::Exec(RuntimeErr::SqlxError(cause)) => {
            matches!(cause.as_ref(), Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed)
        }
        _ => false,
    }
}

impl AppError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(err))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The GraphQL `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::InvalidInput(_) => "BAD_USER_INPUT",
            AppError::Unavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Logs what clients must not see. Called once, where the error is rendered.
    fn log(&self) {
        match self {
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
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
                            "loc": ["query", name(e.field)],
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
            AppError::Internal(_) => json!({ "detail": "Internal server error" }),
            other => json!({ "detail": other.to_string() }),
        }
    }

    /// Renders as a REST response whose 422 entries carry the names `name` gives the fields.
    pub fn into_rest_response(self, name: FieldNamer) -> Response {
        self.log();
        let mut response = (self.status(), axum::Json(self.rest_body(name))).into_response();
        if matches!(self, AppError::Unauthenticated) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    /// The GraphQL error. Built explicitly: a bare `?` would drop the extensions.
    pub fn into_graphql(self) -> async_graphql::Error {
        self.log();
        let message = match &self {
            AppError::InvalidInput(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", crate::graphql::field_name(e.field), e.msg))
                .collect::<Vec<_>>()
                .join("; "),
            AppError::Internal(_) => "Internal server error".to_owned(),
            other => other.to_string(),
        };
        let mut error = async_graphql::Error::new(message);
        let code = self.code();
        error = error.extend_with(|_, ext| ext.set("code", code));
        if let AppError::InvalidInput(errors) = &self
            && let Some(first) = errors.first()
        {
            let fields: Vec<async_graphql::Value> =
                errors.iter().map(|e| async_graphql::Value::from(crate::graphql::field_name(e.field))).collect();
            error = error.extend_with(|_, ext| {
                ext.set("field", crate::graphql::field_name(first.field));
                ext.set("fields", async_graphql::Value::List(fields));
            });
        }
        error
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.into_rest_response(crate::rest::rest_field_name)
    }
}
