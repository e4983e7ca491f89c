//! The HTTP application, assembled: the faces own their routes and handlers ([`crate::rest`],
//! [`crate::graphql::http`]) and put [`crate::admission`] in front of their data routes;
//! [`crate::edge`] finishes every response.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::state::AppState;
use crate::{audit_page, edge, graphql, rest, server, telemetry, traces};

/// The whole HTTP surface: each face's routes, the health checks, and the layers every request
/// passes through.
pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    Router::new()
        .merge(graphql::http::router(&state))
        .merge(rest::router(&state, OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))))
        .merge(audit_page::router())
        // Innermost first: the deadline and the body limit hold for every route, every error gets
        // a JSON body and every response the security headers, and the access log, outermost,
        // sees the final status, inside the request's span.
        //
        // Refuses a declared length over the limit at once, and stops reading an undeclared one
        // there; nothing is buffered before admission anyway.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, limits.request_timeout))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(edge::json_errors))
        // Responses carry user names and e-mail addresses: no cache may keep them.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(cors(&state.cors_allow_origins))
        .layer(middleware::from_fn(edge::access_log))
        .layer(middleware::from_fn(telemetry::record_request))
        .layer(middleware::from_fn(traces::request_span))
        .with_state(state)
}

/// CORS for the configured origins: their preflights succeed with `Authorization` and
/// `Content-Type` allowed. With none configured, the layer allows nothing, so a preflight gets
/// no CORS headers and browsers refuse the cross-origin call.
fn cors(origins: &[HeaderValue]) -> CorsLayer {
    if origins.is_empty() {
        return CorsLayer::new();
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(3600))
}

/// Serves the application on `listener` until `shutdown` resolves (see [`server::serve`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (limits, drain) = (state.limits.clone(), state.drain.clone());
    server::serve(listener, router(state), &limits, &drain, shutdown).await
}

/// Liveness: answers without auth and without touching the database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "`{\"status\": \"ok\"}`", body = rest::HealthBody), rest::HealthErrors),
    security(())
)]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers (at once 503 while it is known to be away).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`", body = rest::HealthBody),
        (status = 503, description = "The database does not answer", body = rest::Detail),
        rest::HealthErrors
    ),
    security(())
)]
async fn readyz(State(state): State<AppState>) -> Response {
    if state.availability.is_down() {
        return AppError::Unavailable(None).into_response();
    }
    let response = match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => AppError::Unavailable(Some(error)).into_response(),
    };
    state.availability.observe(&state.db, response)
}
