//! The GraphQL face over HTTP, as the GraphQL-over-HTTP specification says:
//!
//! - `POST /graphql` with an `application/json` body: one operation, or a batch (a JSON array of
//!   at most [`MAX_BATCH`] operations sharing one cost budget);
//! - `GET /graphql?query=…&variables=…&operationName=…&extensions=…` for queries (a mutation is
//!   405); a browser's navigation to `GET /graphql` without a query gets the playground;
//! - `GET /graphql` with `Upgrade: websocket`: subscriptions ([`super::ws`]);
//! - the response's media type follows `Accept`: `application/graphql-response+json` when the
//!   client asks for it (then a request that never executed is a 400), `application/json` when it
//!   asks for that, for `*/*` or says nothing; anything else is a 406.
//!
//! Every request but the playground's is admitted first ([`crate::admission`]), so a body is only
//! read for an authenticated administrator.

use async_graphql::parser::types::OperationType;
use std::collections::BTreeMap;

use async_graphql::{BatchRequest, PathSegment, ServerError};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;

use super::limits::{self, Budget};
use super::loader::UserLoader;
use super::{playground, ws};
use crate::admission;
use crate::audit::Snapshot;
use crate::auth::Admin;
use crate::availability::retry_broken_response;
use crate::edge::OperationName;
use crate::error::{BrokenConnection, DatabaseAway, ErrorKind, Face, Raised, plain_error_body};
use crate::state::AppState;
use crate::telemetry;

/// Most operations in one batch.
pub const MAX_BATCH: usize = 10;

/// `/graphql` and the playground's assets.
pub fn router(state: &AppState) -> Router<AppState> {
    let admitted = middleware::from_fn_with_state(state.clone(), admit_unless_playground);
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql).route_layer(admitted))
        .merge(playground::router())
}

/// Admission for everything but a browser opening the playground, which needs no token, and a
/// WebSocket, whose token comes in its first message ([`super::ws`]).
async fn admit_unless_playground(state: State<AppState>, request: Request, next: Next) -> Response {
    if wants_playground(request.method(), request.headers(), request.uri().query()) || is_websocket(request.headers()) {
        return next.run(request).await;
    }
    admission::admit(state, request, next).await
}

/// An upgrade to WebSocket.
fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|upgrade| upgrade.to_str().ok())
        .is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket"))
}

/// A navigation: `GET` without a `query` parameter, from a client that takes HTML.
fn wants_playground(method: &Method, headers: &HeaderMap, query: Option<&str>) -> bool {
    let has_query = form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(key, _)| key == "query");
    let takes_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    method == Method::GET && !has_query && takes_html
}

/// The response media types a client may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    /// What `Accept` asks for: `application/graphql-response+json` when listed, `application/json`
    /// when it, `application/*` or `*/*` is listed or there is no `Accept`; `None` otherwise.
    fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
        let Some(accept) = headers.get(header::ACCEPT) else { return Some(MediaType::Json) };
        let mut json = false;
        for range in accept.to_str().unwrap_or_default().split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            if parts.any(|parameter| parameter.replace(' ', "") == "q=0") {
                continue;
            }
            match media.as_str() {
                "application/graphql-response+json" => return Some(MediaType::GraphqlResponse),
                "application/json" | "application/*" | "*/*" => json = true,
                _ => {}
            }
        }
        json.then_some(MediaType::Json)
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }
}

/// `GET /graphql`: the playground for a browser, otherwise a query in the URL.
async fn get_graphql(state: State<AppState>, admin: Option<Extension<Admin>>, request: Request) -> Response {
    if is_websocket(request.headers()) {
        return match WebSocketUpgrade::from_request(request, &state).await {
            Ok(upgrade) => ws::upgrade(state.0, upgrade),
            Err(rejection) => rejection.into_response(),
        };
    }
    let (method, headers, query) = (request.method(), request.headers(), request.uri().query());
    if wants_playground(method, headers, query) {
        return playground::page();
    }
    let Some(media) = MediaType::negotiate(headers) else { return not_acceptable() };
    let Some(Extension(admin)) = admin else {
        return request_error(MediaType::Json, StatusCode::INTERNAL_SERVER_ERROR, "the request was not admitted");
    };
    let mut params = async_graphql::Request::new("");
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let parsed = match key.as_ref() {
            "query" => {
                params.query = value.into_owned();
                Ok(())
            }
            "operationName" => {
                params.operation_name = Some(value.into_owned());
                Ok(())
            }
            "variables" => serde_json::from_str(&value).map(|variables| params.variables = variables),
            "extensions" => serde_json::from_str(&value).map(|extensions| params.extensions = extensions),
            _ => Ok(()),
        };
        if let Err(error) = parsed {
            return request_error(media, StatusCode::BAD_REQUEST, &format!("`{key}` is not valid JSON: {error}"));
        }
    }
    // GET must not change anything (the schema has no mutations, but say so the HTTP way).
    if let Some(kind) = operation_type(&params)
        && kind != OperationType::Query
    {
        let mut response = request_error(media, StatusCode::METHOD_NOT_ALLOWED, "only queries may be sent with GET");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, admin, media, BatchRequest::Single(params)).await
}

/// The type of the operation `request` selects, if its text passes the limits and parses.
fn operation_type(request: &async_graphql::Request) -> Option<OperationType> {
    limits::check_text(&request.query).ok()?;
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let mut operations = document.operations.iter();
    let (_, operation) = match &request.operation_name {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|name| name.as_str() == wanted))?,
        None => operations.next()?,
    };
    Some(operation.node.ty)
}

/// `POST /graphql`: reads the body (at most `--max-body-bytes`), one operation or a batch.
async fn post_graphql(state: State<AppState>, Extension(admin): Extension<Admin>, request: Request) -> Response {
    let Some(media) = MediaType::negotiate(request.headers()) else { return not_acceptable() };
    let json_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        let message = "the body must be `application/json`";
        return request_error(media, StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    }
    let body = match axum::body::to_bytes(request.into_body(), state.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(error) if body_too_large(&error) => {
            let message = "the request body is larger than the limit";
            telemetry::refused("bodySize");
            return request_error(media, StatusCode::PAYLOAD_TOO_LARGE, message);
        }
        Err(_) => return request_error(media, StatusCode::BAD_REQUEST, "the request body could not be read"),
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            // serde_json's message names the position, never our internals.
            let message = format!("the body is not a GraphQL request in JSON: {error}");
            return request_error(media, StatusCode::BAD_REQUEST, &message);
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && !(1..=MAX_BATCH).contains(&requests.len())
    {
        let message = format!("a batch holds 1 to {MAX_BATCH} operations");
        return request_error(media, StatusCode::BAD_REQUEST, &message);
    }
    execute(&state, admin, media, batch).await
}

/// Runs one operation or a batch and answers in `media`; a second time, from scratch, if the
/// first met a broken connection (`availability::retry_broken_response`): nothing was sent yet.
async fn execute(state: &AppState, admin: Admin, media: MediaType, batch: BatchRequest) -> Response {
    retry_broken_response(&state.db, || execute_once(state, admin, media, copy_of_batch(&batch))).await
}

/// The operations of `batch` as the client sent them (the request's data is attached per attempt).
fn copy_of_batch(batch: &BatchRequest) -> BatchRequest {
    let copy = |request: &async_graphql::Request| {
        let mut copy = async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
        copy.operation_name = request.operation_name.clone();
        copy.extensions = request.extensions.clone();
        copy
    };
    match batch {
        BatchRequest::Single(request) => BatchRequest::Single(copy(request)),
        BatchRequest::Batch(requests) => BatchRequest::Batch(requests.iter().map(copy).collect()),
    }
}

/// Runs one operation or a batch, with one budget, and answers in `media`.
async fn execute_once(state: &AppState, admin: Admin, media: MediaType, batch: BatchRequest) -> Response {
    let budget = Budget::new();
    // One state of the log for the whole request: a batch's operations agree with each other too.
    let snapshot = Snapshot::new(&state.db);
    let mut names = Vec::new();
    let mut prepare = |request: async_graphql::Request| {
        telemetry::operation(request.operation_name.as_deref());
        if let Some(name) = &request.operation_name {
            names.push(name.clone());
        }
        request.data(admin).data(snapshot.clone()).data(UserLoader::for_request(&snapshot))
    };
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => BatchRequest::Batch(requests.into_iter().map(prepare).collect()),
    };
    let (body, outcomes) = match batch {
        BatchRequest::Single(request) => {
            if let Some(missing) = missing_query(&request) {
                return request_error(media, StatusCode::BAD_REQUEST, missing);
            }
            let response = state.graphql.execute(request, &snapshot, &budget, true).await;
            snapshot.finish().await;
            let (body, outcome) = render(response);
            (serde_json::to_vec(&body), vec![outcome])
        }
        BatchRequest::Batch(requests) => {
            if let Some(missing) = requests.iter().find_map(missing_query) {
                return request_error(media, StatusCode::BAD_REQUEST, missing);
            }
            // One after another: each is priced against what the ones before it left of the budget.
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(state.graphql.execute(request, &snapshot, &budget, false).await);
            }
            snapshot.finish().await;
            let (bodies, outcomes): (Vec<Body>, _) = responses.into_iter().map(render).unzip();
            (serde_json::to_vec(&bodies), outcomes)
        }
    };
    let status = if outcomes.iter().any(|o| o.unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else if outcomes.iter().any(|o| o.timed_out) {
        StatusCode::GATEWAY_TIMEOUT
    } else if outcomes.len() == 1
        && outcomes.iter().any(|o| o.refused || (o.not_executed && media == MediaType::GraphqlResponse))
    {
        // A request refused by a limit, or (when the client speaks graphql-response+json) one
        // that never executed: 400. With application/json such errors travel with a 200.
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = body.unwrap_or_else(|error| {
        // async-graphql's values always serialise; should one not, say so without details.
        tracing::error!(%error, "a GraphQL response could not be serialised");
        plain_error_body(Face::GraphQL, "Internal server error", ErrorKind::Internal.code()).to_string().into_bytes()
    });
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, media.content_type());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.extensions_mut().insert(DatabaseAway);
    }
    if outcomes.iter().any(|o| o.broken_connection) {
        response.extensions_mut().insert(BrokenConnection);
    }
    if !names.is_empty() {
        response.extensions_mut().insert(OperationName(names.join(",")));
    }
    response
}

/// Why a request cannot even be tried: it has neither a query nor a persisted query's hash.
fn missing_query(request: &async_graphql::Request) -> Option<&'static str> {
    (request.query.is_empty() && !request.extensions.contains_key("persistedQuery"))
        .then_some("the request has no `query`")
}

/// What the HTTP status needs to know about one response.
#[derive(Default)]
struct Outcome {
    /// Refused by a request limit (`extensions.limit`).
    refused: bool,
    /// Parse or validation failed: nothing executed.
    not_executed: bool,
    unavailable: bool,
    /// An error came from a connection that broke under its statement.
    broken_connection: bool,
    timed_out: bool,
}

/// One response as the spec shapes it, written straight from async-graphql's values, so its
/// fields come in the order the document selected them.
#[derive(Serialize)]
struct Body {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ServerError>,
    /// Absent when the request never executed.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: BTreeMap<String, async_graphql::Value>,
}

/// One response as the spec shapes it: every error has a code; a request that never executed has
/// no `data`; a failed non-null root field nulls `data` as a whole.
fn render(mut response: async_graphql::Response) -> (Body, Outcome) {
    give_every_error_a_code(&mut response);
    for error in &response.errors {
        if let Some(async_graphql::Value::String(limit)) = error.extensions.as_ref().and_then(|ext| ext.get("limit")) {
            telemetry::refused(limit);
        }
    }
    let has_kind = |kind: ErrorKind| response.errors.iter().any(|e| ErrorKind::of(e) == Some(kind));
    let outcome = Outcome {
        refused: response.errors.iter().any(|e| e.extensions.as_ref().is_some_and(|ext| ext.get("limit").is_some())),
        not_executed: !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty()),
        unavailable: has_kind(ErrorKind::Unavailable),
        broken_connection: response
            .errors
            .iter()
            .any(|error| error.source::<Raised>().is_some_and(|raised| raised.broken_connection)),
        timed_out: has_kind(ErrorKind::Timeout),
    };
    let data = match response.data {
        _ if outcome.not_executed => None,
        // Every root field is non-null: one that failed leaves nothing to return but null.
        async_graphql::Value::Object(data)
            if response.errors.iter().any(|error| match error.path.first() {
                Some(PathSegment::Field(key)) => !data.contains_key(key.as_str()),
                _ => false,
            }) =>
        {
            Some(async_graphql::Value::Null)
        }
        data => Some(data),
    };
    (Body { errors: response.errors, data, extensions: response.extensions }, outcome)
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
        let code = if error.message == "PersistedQueryNotFound" {
            // Apollo's protocol: the client sends the query text next.
            "PERSISTED_QUERY_NOT_FOUND"
        } else if error.path.is_empty() {
            ErrorKind::InvalidInput.code()
        } else {
            tracing::error!(error = %error.message, path = ?error.path, "a GraphQL error without a code");
            error.message = "Internal server error".to_owned();
            ErrorKind::Internal.code()
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
fn request_error(media: MediaType, status: StatusCode, message: &str) -> Response {
    let body = plain_error_body(Face::GraphQL, message, ErrorKind::InvalidInput.code());
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, media.content_type());
    response
}

fn not_acceptable() -> Response {
    let message = "this endpoint answers application/graphql-response+json or application/json";
    request_error(MediaType::Json, StatusCode::NOT_ACCEPTABLE, message)
}

#[cfg(test)]
mod tests {
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

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).expect("ascii"));
        headers
    }

    #[test]
    fn accept_chooses_the_media_type() {
        assert_eq!(MediaType::negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(MediaType::negotiate(&accept("*/*")), Some(MediaType::Json));
        assert_eq!(MediaType::negotiate(&accept("application/json; charset=utf-8")), Some(MediaType::Json));
        let both = "application/graphql-response+json, application/json;q=0.9";
        assert_eq!(MediaType::negotiate(&accept(both)), Some(MediaType::GraphqlResponse));
        assert_eq!(MediaType::negotiate(&accept("text/html")), None);
        assert_eq!(MediaType::negotiate(&accept("application/graphql-response+json;q=0, text/html")), None);
    }
}
