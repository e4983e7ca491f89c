//! What every response passes through on its way out, whatever produced it: the access log that
//! says who read the audit log, and a JSON body for every error the gateway produces itself
//! (404, 405, 413, 504, a panic's 500), in the shape of the face that was asked. (hyper's own
//! answers to requests it cannot parse get theirs in `server`, from [`unparsed_request_body`].)

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::Admin;
use crate::error::{Face, plain_error_body};
use crate::filter::Field;

/// The GraphQL operation a response answered, for the access log.
#[derive(Clone, Debug)]
pub struct OperationName(pub String);

/// One line per request: who (token id, user id, client address), what (method, path, GraphQL
/// operation), how it went (status), how long it took and, when spans are exported, the trace
/// it is in. Never the token's secret.
pub async fn access_log(request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.to_string());
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let admin = response.extensions().get::<Admin>().copied();
    let operation = response.extensions().get::<OperationName>().map(|name| name.0.clone());
    // Tenths of a millisecond: enough to read, and no float noise in the log.
    let elapsed_ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    tracing::info!(
        target: "audit_gateway::access",
        %method,
        path,
        status = response.status().as_u16(),
        client,
        token_id = admin.map(|admin| admin.token_id),
        user_id = admin.map(|admin| admin.user_id),
        operation,
        elapsed_ms,
        trace_id = crate::traces::exporting().then(crate::traces::trace_id).flatten(),
        "request"
    );
    response
}

/// Gives a JSON body to every error response that has none (those of axum's router, the body
/// limit, the timeout and the panic guard), so clients never have to parse text.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let face = Face::of(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("application/graphql-response+json")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (message, code) = describe(status);
    let body = plain_error_body(face, message, code);
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// The body of an error response hyper writes by itself, for a request it could not even parse
/// (so there is no path to choose a face by): REST's shape, like most of the API.
pub fn unparsed_request_body(status: StatusCode) -> String {
    let (message, code) = describe(status);
    plain_error_body(Face::Rest(Field::rest_name), message, code).to_string()
}

/// The message and GraphQL code of a status the gateway produced without a body.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::GATEWAY_TIMEOUT => ("Request timed out", "TIMEOUT"),
        StatusCode::PAYLOAD_TOO_LARGE => ("Request body too large", "BAD_USER_INPUT"),
        StatusCode::NOT_FOUND => ("Not found", "NOT_FOUND"),
        StatusCode::METHOD_NOT_ALLOWED => ("Method not allowed", "BAD_REQUEST"),
        status if status.is_client_error() => (status.canonical_reason().unwrap_or("Bad request"), "BAD_REQUEST"),
        _ => ("Internal server error", "INTERNAL_SERVER_ERROR"),
    }
}
