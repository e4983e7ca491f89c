//! The GraphQL face over HTTP: `POST /graphql`, which [`crate::admission`] has already admitted
//! (so the body is only read for an authenticated administrator), and the playground at
//! `GET /graphql`.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router, middleware};
use serde_json::json;

use super::loader::UserLoader;
use crate::admission;
use crate::auth::Admin;
use crate::edge::OperationName;
use crate::error::DatabaseAway;
use crate::state::AppState;

/// `/graphql`: queries are admitted first (token, rate, availability); the playground needs no
/// token.
pub fn router(state: &AppState) -> Router<AppState> {
    let admitted = post(execute).route_layer(middleware::from_fn_with_state(state.clone(), admission::admit));
    Router::new().route("/graphql", admitted.merge(get(playground)))
}

/// `POST /graphql`: reads the body (at most `--max-body-bytes`), executes, and maps the errors
/// that mean "not the client's fault" to their HTTP statuses (503, 504) so proxies see them too.
pub async fn execute(State(state): State<AppState>, Extension(admin): Extension<Admin>, request: Request) -> Response {
    let body = match axum::body::to_bytes(request.into_body(), state.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(error) if body_too_large(&error) => {
            return request_error(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than the limit");
        }
        Err(_) => return request_error(StatusCode::BAD_REQUEST, "the request body could not be read"),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            // serde_json's message names the position, never our internals.
            return request_error(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request in JSON: {error}"),
            );
        }
    };
    let operation = request.operation_name.clone();
    let request = request.data(admin).data(UserLoader::for_request(state.db.clone()));
    let mut response = state.schema.execute(request).await;
    give_every_error_a_code(&mut response);
    let has_code = |code: &str| {
        response
            .errors
            .iter()
            .any(|error| error.extensions.as_ref().and_then(|ext| ext.get("code")) == Some(&code.into()))
    };
    // A request refused by a limit (`graphql::limits`) was never executed: 400, like a body
    // that is not JSON.
    let refused =
        response.errors.iter().any(|error| error.extensions.as_ref().is_some_and(|ext| ext.get("limit").is_some()));
    let status = if has_code("SERVICE_UNAVAILABLE") {
        Some(StatusCode::SERVICE_UNAVAILABLE)
    } else if has_code("TIMEOUT") {
        Some(StatusCode::GATEWAY_TIMEOUT)
    } else if refused {
        Some(StatusCode::BAD_REQUEST)
    } else {
        None
    };
    let mut http = GraphQLResponse::from(response).into_response();
    if let Some(status) = status {
        *http.status_mut() = status;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            http.extensions_mut().insert(DatabaseAway);
        }
    }
    if let Some(operation) = operation {
        http.extensions_mut().insert(OperationName(operation));
    }
    http
}

/// Errors raised before execution (parsing and validation: a bad enum value, an unknown field)
/// are the client's input and carry no code of their own: they get `BAD_USER_INPUT`. Resolvers
/// always add a code ([`super::error::ResolverError`]); an error from execution without one is
/// a bug, so it is logged and shown only as a generic internal error, never blamed on the client.
fn give_every_error_a_code(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        if error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some()) {
            continue;
        }
        let code = if error.path.is_empty() {
            "BAD_USER_INPUT"
        } else {
            tracing::error!(error = %error.message, path = ?error.path, "a GraphQL error without a code");
            error.message = "Internal server error".to_owned();
            "INTERNAL_SERVER_ERROR"
        };
        error.extensions.get_or_insert_with(Default::default).set("code", code);
    }
}

/// Whether reading the body stopped at the size limit (ours or the body-limit layer's).
fn body_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// A request that never reached GraphQL: the spec's shape, with no `data` key.
fn request_error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }] });
    (status, axum::Json(body)).into_response()
}

/// What the playground page may load: itself, and (until it is served from the binary) GraphiQL
/// and React from unpkg. It may only talk to the gateway.
const PLAYGROUND_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; \
     style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https://graphql.org; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `GET /graphql`: GraphiQL loads without a token; the user pastes `Authorization` into its
/// headers pane.
pub async fn playground() -> Response {
    let mut response = Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PLAYGROUND_CSP));
    response
}

#[cfg(test)]
mod tests {
    use async_graphql::{PathSegment, ServerError};

    use super::*;

    #[test]
    fn errors_without_a_code_are_the_clients_before_execution_and_internal_during_it() {
        let parse = ServerError::new("Unknown field \"nope\"", None);
        let bare =
            ServerError::new("no such table: activity", None).with_path(vec![PathSegment::Field("activity".into())]);
        let mut response = async_graphql::Response::from_errors(vec![parse, bare]);
        give_every_error_a_code(&mut response);
        let code = |i: usize| response.errors[i].extensions.as_ref().and_then(|ext| ext.get("code")).cloned();
        assert_eq!(code(0), Some("BAD_USER_INPUT".into()));
        assert_eq!(code(1), Some("INTERNAL_SERVER_ERROR".into()));
        assert_eq!(response.errors[1].message, "Internal server error");
    }
}
