//! The HTTP application: routes, shared state, the GraphQL handler, health checks, serving.

use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::auth;
use crate::error::AppError;
use crate::graphql::{self, AuditSchema, loader::UserLoader};
use crate::rest;

/// What every handler shares. Cheap to clone: both parts are handles.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: AuditSchema,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> Self {
        AppState { schema: graphql::build_schema(db.clone()), db }
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_handler))
        .route("/api/activity", get(rest::list_activity))
        .route("/api/activity/insights", get(rest::activity_insights))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Serves `router` on `listener` until Ctrl-C.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            // If the signal handler cannot be installed, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}

/// GraphiQL loads without a token; the user pastes `Authorization` into its headers pane.
async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn graphql_handler(State(state): State<AppState>, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let admin = match auth::authenticate(&state.db, &headers).await {
        Ok(admin) => admin,
        Err(error) => return graphql_error_response(error),
    };
    let request = request.into_inner().data(admin).data(UserLoader::for_request(state.db.clone()));
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        // Parse and validation errors (a bad enum value, a malformed `Date`) carry no code of
        // their own; they are all the client's input.
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
    let unavailable = response.errors.iter().any(|error| {
        error.extensions.as_ref().and_then(|ext| ext.get("code"))
            == Some(&async_graphql::Value::from("SERVICE_UNAVAILABLE"))
    });
    let mut http = GraphQLResponse::from(response).into_response();
    if unavailable {
        *http.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    http
}

/// An error before execution (authentication, availability) in GraphQL's response shape, with
/// the matching HTTP status.
fn graphql_error_response(error: AppError) -> Response {
    let status = error.status();
    let graphql_error = error.into_graphql().into_server_error(Default::default());
    let body = json!({ "data": null, "errors": [graphql_error] });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Liveness: answers without auth and without touching the database.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => AppError::Unavailable(error).into_response(),
    }
}

async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "request");
    response
}
