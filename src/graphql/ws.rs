//! GraphQL subscriptions over WebSocket at `GET /graphql`, in the `graphql-transport-ws` protocol
//! (graphql-ws, Apollo, urql) or the legacy `graphql-ws` one (subscriptions-transport-ws).
//! async-graphql speaks the protocols; this module owns the socket around them:
//!
//! - **Authentication in `connection_init`.** Browsers cannot set headers on a WebSocket, so the
//!   upgrade is not admitted like other requests: the init payload carries
//!   `{"Authorization": "Bearer …"}`, checked like a header. A missing, unknown, revoked or
//!   expired token closes the socket with 4401, a non-Admin's with 4403, no init within
//!   [`INIT_TIMEOUT`] with 4408. While connected the token is checked again every
//!   `Limits::live_token_recheck`: one revoked or expired meanwhile closes the socket (4401/4403).
//! - **Only subscriptions**: queries go to `POST /graphql`. The limits of any operation apply
//!   (size, nesting, coercion, its price), and subscriptions are bounded per connection and per
//!   token ([`super::subscription`]).
//! - **Liveness**: a WebSocket ping every [`PING_EVERY`] (or half the connection's idle timeout,
//!   if shorter); a peer from which nothing (not even a pong) came for the idle timeout is gone,
//!   and its socket is closed with 1001.
//! - **A slow consumer** whose socket takes a message for longer than [`SEND_TIMEOUT`] is closed
//!   with 1013 ("try again later"), so it resumes from its last cursor: nothing is dropped
//!   silently, and the server holds nothing for it meanwhile.
//! - **Draining**: on SIGTERM the messages already produced are sent, then the socket closes with
//!   1001 ("going away").

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocket as GraphqlSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response as HttpResponse;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, SinkExt, StreamExt};
use sea_orm::DatabaseConnection;

use super::{Executor, Session};
use crate::auth::Admin;
use crate::availability::retry_broken;
use crate::error::AppError;
use crate::state::AppState;

/// How long a client has to send `connection_init` after the upgrade.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings, at most.
pub const PING_EVERY: Duration = Duration::from_secs(15);
/// Longest a message may wait for the client's socket to take it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Close codes: graphql-transport-ws's, and the standard ones.
mod close {
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const INTERNAL: u16 = 1011;
    /// "Try again later": for a slow consumer (resume from the last cursor) and a database away.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Upgrades `GET /graphql` to a GraphQL WebSocket.
pub fn upgrade(state: AppState, upgrade: WebSocketUpgrade) -> HttpResponse {
    let upgrade = upgrade.protocols(["graphql-transport-ws", "graphql-ws"]);
    // A client that names no protocol gets the current one.
    let protocol = match upgrade.selected_protocol().and_then(|name| name.to_str().ok()) {
        Some("graphql-ws") => Protocols::SubscriptionsTransportWS,
        _ => Protocols::GraphQLWS,
    };
    upgrade.on_upgrade(move |socket| serve(state, protocol, socket))
}

/// Runs subscriptions for the async-graphql protocol handler (which asks for a stream per
/// operation).
#[derive(Clone)]
struct Subscriptions {
    executor: Arc<Executor>,
    db: DatabaseConnection,
}

impl async_graphql::Executor for Subscriptions {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None).next().await.unwrap_or_default()
    }

    fn execute_stream(&self, request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        self.executor.subscribe(request, session.unwrap_or_default(), &self.db)
    }
}

/// What `connection_init` decided.
#[derive(Clone)]
enum Init {
    Admitted { admin: Admin, headers: HeaderMap },
    Refused { code: u16 },
}

/// The `Authorization` of an init payload, as the header it stands for: at the top level
/// (graphql-ws's `connectionParams`) or under `headers` (as some clients nest it), any case.
fn authorization(payload: &serde_json::Value) -> HeaderMap {
    let find = |object: &serde_json::Value| {
        object
            .as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))?
            .1
            .as_str()
            .map(str::to_owned)
    };
    let value = find(payload).or_else(|| payload.get("headers").and_then(find));
    let mut headers = HeaderMap::new();
    if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

/// The close code for a refusal at `connection_init`: the token's (4401, 4403), or 1013 (try again
/// later) when it could not be checked, such as with the database away.
fn refusal_code(error: &AppError) -> u16 {
    match error {
        AppError::Unauthenticated => close::UNAUTHORIZED,
        AppError::Forbidden => close::FORBIDDEN,
        _ => close::TRY_AGAIN_LATER,
    }
}

async fn serve(state: AppState, protocol: Protocols, mut socket: WebSocket) {
    let _held = state.drain.hold();
    let opened = Instant::now();
    let init: Arc<OnceLock<Init>> = Arc::default();
    let on_init = {
        let (state, init) = (state.clone(), init.clone());
        move |payload: serde_json::Value| async move {
            let headers = authorization(&payload);
            let admitted = retry_broken(&state.db, || state.tokens.authenticate(&state.db, &headers)).await;
            match admitted {
                Ok(admin) => {
                    log_admitted(admin);
                    let _ = init.set(Init::Admitted { admin, headers });
                    let mut data = Data::default();
                    data.insert(Session::new(admin, state.live.clone()));
                    Ok(data)
                }
                Err(error) => {
                    let code = refusal_code(&error);
                    error.log();
                    let _ = init.set(Init::Refused { code });
                    Err(async_graphql::Error::new(error.to_string()))
                }
            }
        }
    };
    let (to_protocol, from_client) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let from_client = futures_util::stream::unfold(from_client, |mut receiver| async move {
        receiver.recv().await.map(|message| (message, receiver))
    });
    let subscriptions = Subscriptions { executor: state.graphql.clone(), db: state.db.clone() };
    let mut protocol_out =
        Box::pin(GraphqlSocket::new(subscriptions, from_client, protocol).on_connection_init(on_init));

    let start = tokio::time::Instant::now();
    let silence_allowed = state.limits.idle_timeout;
    let ping_every = PING_EVERY.min(silence_allowed / 2);
    let mut ping = tokio::time::interval_at(start + ping_every, ping_every);
    let mut last_heard = start;
    let recheck_every = state.limits.live_token_recheck;
    let mut recheck = tokio::time::interval_at(start + recheck_every, recheck_every);
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let refused = |init: &OnceLock<Init>| match init.get() {
        Some(Init::Refused { code }) => Some(*code),
        _ => None,
    };

    let (code, reason): (u16, String) = loop {
        tokio::select! {
            incoming = socket.recv() => {
                last_heard = tokio::time::Instant::now();
                let message = match incoming {
                    Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    // The closing handshake: the WebSocket library queued the answer to the
                    // client's close frame; it goes out when the socket is flushed.
                    Some(Ok(Message::Close(_))) => {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, socket.flush()).await;
                        break (0, String::new());
                    }
                    Some(Err(_)) | None => break (0, String::new()),
                };
                if to_protocol.send(message).await.is_err() {
                    break (close::INTERNAL, "the protocol handler stopped".into());
                }
            }
            outgoing = protocol_out.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if !send(&mut socket, Message::Text(text.into())).await {
                        break (close::TRY_AGAIN_LATER, "slow consumer: resume from the last cursor".into());
                    }
                }
                Some(WsMessage::Close(code, reason)) => break (refused(&init).unwrap_or(code), reason),
                None => match refused(&init) {
                    Some(code) => break (code, "not admitted".into()),
                    None => break (close::NORMAL, String::new()),
                },
            },
            _ = ping.tick() => {
                if last_heard.elapsed() >= silence_allowed {
                    break (close::GOING_AWAY, "no answer to pings".into());
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    break (close::TRY_AGAIN_LATER, "slow consumer: resume from the last cursor".into());
                }
            }
            () = &mut init_deadline, if init.get().is_none() => {
                break (close::INIT_TIMEOUT, "Connection initialisation timeout".into());
            }
            _ = recheck.tick(), if matches!(init.get(), Some(Init::Admitted { .. })) => {
                if let Some(Init::Admitted { headers, .. }) = init.get()
                    && let Err(error @ (AppError::Unauthenticated | AppError::Forbidden)) =
                        state.tokens.authenticate(&state.db, headers).await
                {
                    break (refusal_code(&error), "the token no longer admits this connection".into());
                }
            }
            () = state.drain.started() => {
                // What is already produced goes out first.
                while let Some(Some(WsMessage::Text(text))) = protocol_out.next().now_or_never() {
                    if !send(&mut socket, Message::Text(text.into())).await {
                        break;
                    }
                }
                break (close::GOING_AWAY, "the server is shutting down".into());
            }
        }
    };
    if code != 0 {
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    }
    if let Some(Init::Admitted { admin, .. }) = init.get() {
        tracing::info!(
            target: "audit_gateway::access",
            token_id = admin.token_id,
            user_id = admin.user_id,
            close_code = code,
            seconds = opened.elapsed().as_secs(),
            "websocket closed"
        );
    }
}

/// Sends `message`, or says the client did not take it in time.
async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await, Ok(Ok(())))
}

/// The access log's line for a WebSocket that authenticated (its upgrade's line has no token).
fn log_admitted(admin: Admin) {
    tracing::info!(
        target: "audit_gateway::access",
        method = "GET",
        path = "/graphql",
        token_id = admin.token_id,
        user_id = admin.user_id,
        "websocket admitted"
    );
}
