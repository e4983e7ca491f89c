//! `activityEvents` over WebSocket (graphql-transport-ws, and the legacy graphql-ws): the token in
//! `connection_init`, close codes, caps, resuming from a cursor across sockets and gateways, and
//! draining.

use std::collections::BTreeSet;
use std::time::Duration;

use audit_gateway::state::Limits;
use futures_util::{SinkExt, StreamExt};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::*;

/// Longest a test waits for a message that should come. The feed polls every 500 ms, but on
/// PostgreSQL a row waits for every older writing transaction of the cluster to end, and the
/// suite's other tests share the cluster: one seeds 130,000 activities in one transaction, which
/// takes seconds to tens of seconds on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

const EVENTS: &str = "subscription ($filter: ActivityFilter, $after: String) {
    activityEvents(filter: $filter, after: $after) { cursor node { id verb transaction { user { userName } } } }
}";

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A client socket speaking `protocol`.
struct Socket {
    stream: Stream,
}

impl Socket {
    async fn connect(address: &str, protocol: &str) -> Socket {
        let url = format!("{}/graphql", address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("a request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().expect("a header"));
        let (stream, response) = tokio_tungstenite::connect_async(request).await.expect("the upgrade");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Socket { stream }
    }

    /// Connects with graphql-transport-ws and initialises with `token`; asserts the ack.
    async fn admitted(address: &str, token: &str) -> Socket {
        let mut socket = Socket::connect(address, "graphql-transport-ws").await;
        socket
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        assert_eq!(socket.next().await["type"], "connection_ack");
        socket
    }

    async fn send(&mut self, message: Value) {
        self.stream.send(Message::text(message.to_string())).await.expect("send");
    }

    async fn subscribe(&mut self, id: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": EVENTS, "variables": variables } }))
            .await;
    }

    /// The next protocol message within `wait` (pings skipped), or `None`.
    async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await.ok()?? {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("JSON")),
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                Ok(other) => panic!("not a text message: {other:?}"),
                Err(error) => panic!("the socket failed: {error}"),
            }
        }
    }

    async fn next(&mut self) -> Value {
        self.next_within(PATIENCE).await.expect("a message")
    }

    /// The `next` payloads' edges of `count` messages.
    async fn edges(&mut self, count: usize) -> Vec<Value> {
        let mut edges = Vec::new();
        while edges.len() < count {
            let message = self.next().await;
            assert_eq!(message["type"], "next", "{message}");
            edges.push(message["payload"]["data"]["activityEvents"].clone());
        }
        edges
    }

    /// The close code the server sends within `wait` (messages before it skipped).
    async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await.ok()? {
                Some(Ok(Message::Close(frame))) => return frame.map(|frame| u16::from(frame.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// The activity ids of edges.
fn ids(edges: &[Value]) -> Vec<i64> {
    edges.iter().map(|edge| edge["node"]["id"].as_str().expect("an id").parse().expect("a number")).collect()
}

#[tokio::test]
async fn a_subscription_delivers_new_rows_and_resumes_after_a_killed_socket() {
    let app = TestApp::spawn().await;
    live_users(&app).await;
    write_action(app.db(), 1, Some(BOB), "create", "Tag").await;
    wait_until_final(app.db()).await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("1", json!({})).await;
    // The subscription starts when the server has read where the log stands.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in 2..=4 {
        write_action(app.db(), id, Some(CAROL), "update", "Tag").await;
    }
    let edges = socket.edges(3).await;
    assert_eq!(ids(&edges), [2, 3, 4], "from now, in order");
    assert_eq!(edges[0]["node"]["transaction"]["user"]["userName"], "carol");
    drop(socket); // no close frame: a killed connection
    for id in 5..=6 {
        write_action(app.db(), id, Some(BOB), "delete", "Tag").await;
    }
    let mut resumed = Socket::admitted(&app.address, &app.token).await;
    resumed.subscribe("1", json!({ "after": edges[2]["cursor"] })).await;
    assert_eq!(ids(&resumed.edges(2).await), [5, 6]);
    assert!(resumed.next_within(Duration::from_millis(1500)).await.is_none(), "each row once");
}

#[tokio::test]
async fn filters_apply_and_a_window_or_a_bad_cursor_is_bad_user_input() {
    let app = TestApp::spawn().await;
    live_users(&app).await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("carol", json!({ "filter": { "users": [CAROL.to_string()] } })).await;
    socket.subscribe("deletes", json!({ "filter": { "actions": ["delete"] } })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_action(app.db(), 1, Some(BOB), "delete", "Tag").await;
    write_action(app.db(), 2, Some(CAROL), "update", "Tag").await;
    let mut by_id: Vec<(String, i64)> = Vec::new();
    for _ in 0..2 {
        let message = socket.next().await;
        let edge = &message["payload"]["data"]["activityEvents"];
        by_id.push((message["id"].as_str().expect("id").to_owned(), ids(std::slice::from_ref(edge))[0]));
    }
    assert!(socket.next_within(Duration::from_millis(1500)).await.is_none(), "each row once, in scope");
    by_id.sort();
    assert_eq!(by_id, [("carol".to_owned(), 2), ("deletes".to_owned(), 1)]);

    for (variables, field) in [
        (json!({ "filter": { "startDate": "2026-06-01" } }), "startDate"),
        (json!({ "filter": { "timeframe": "WEEK" } }), "timeframe"),
        (json!({ "after": "bm90LWEtY3Vyc29y" }), "after"),
    ] {
        socket.subscribe("bad", variables.clone()).await;
        // An execution error: a `next` with the error, then `complete`.
        let message = socket.next().await;
        let error = &message["payload"]["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{variables}: {message}");
        assert_eq!(error["extensions"]["field"], field, "{message}");
        assert_eq!(socket.next().await["type"], "complete");
    }
}

#[tokio::test]
async fn tokens_are_checked_at_init_with_4401_and_4403_and_init_must_come_within_ten_seconds() {
    let app = TestApp::spawn().await;
    add_user(app.db(), DAVE, "dave", "Manager", false).await;
    let manager = audit_gateway::tokens::create(app.db(), "dave", "t", None).await.expect("token").secret;
    for (payload, code) in [
        (json!({}), 4401),
        (json!({ "Authorization": "Bearer nope" }), 4401),
        (json!({ "Authorization": format!("Bearer {manager}") }), 4403),
    ] {
        let mut socket = Socket::connect(&app.address, "graphql-transport-ws").await;
        socket.send(json!({ "type": "connection_init", "payload": payload })).await;
        assert_eq!(socket.close_code(PATIENCE).await, Some(code), "{payload}");
    }
    // The header may come nested, as some clients send it.
    let mut nested = Socket::connect(&app.address, "graphql-transport-ws").await;
    let payload = json!({ "headers": { "authorization": format!("Bearer {}", app.token) } });
    nested.send(json!({ "type": "connection_init", "payload": payload })).await;
    assert_eq!(nested.next().await["type"], "connection_ack");

    let mut silent = Socket::connect(&app.address, "graphql-transport-ws").await;
    let started = std::time::Instant::now();
    assert_eq!(silent.close_code(Duration::from_secs(15)).await, Some(4408));
    assert!(started.elapsed() >= Duration::from_secs(9), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_connection_holds_ten_subscriptions_and_queries_go_to_http() {
    let app = TestApp::spawn().await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    for id in 0..audit_gateway::graphql::MAX_SUBSCRIPTIONS_PER_CONNECTION {
        socket.subscribe(&id.to_string(), json!({})).await;
    }
    socket.subscribe("eleventh", json!({})).await;
    // The server starts them in no particular order: one of the eleven is refused.
    let message = socket.next().await;
    let refused = message["id"].as_str().expect("an id").to_owned();
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{message}");
    assert_eq!(socket.next().await, json!({ "id": refused, "type": "complete" }));
    assert!(socket.next_within(Duration::from_millis(500)).await.is_none(), "only one refused");
    // Completing one frees its place.
    let running = if refused == "0" { "1" } else { "0" };
    socket.send(json!({ "id": running, "type": "complete" })).await;
    assert_eq!(socket.next().await, json!({ "id": running, "type": "complete" }));
    socket.subscribe("again", json!({})).await;
    assert!(socket.next_within(Duration::from_millis(1000)).await.is_none(), "accepted, waiting for rows");

    socket.send(json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ activity { total } }" } })).await;
    let message = socket.next().await;
    assert!(message.to_string().contains("POST /graphql"), "{message}");
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{message}");

    let (status, body) = app.graphql("subscription { activityEvents { cursor } }", json!({})).await;
    assert!(body["errors"][0]["message"].as_str().expect("message").contains("WebSocket"), "{status} {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{status} {body}");
}

#[tokio::test]
async fn a_revoked_tokens_socket_is_closed_with_4401() {
    let limits = Limits { live_token_recheck: Duration::from_millis(300), ..Limits::default() };
    let app = TestApp::spawn_with(limits).await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("1", json!({})).await;
    assert_eq!(socket.close_code(Duration::from_millis(800)).await, None, "open while the token is valid");
    let token = audit_gateway::tokens::list(app.db()).await.expect("tokens").remove(0).0;
    audit_gateway::tokens::revoke(app.db(), token.id).await.expect("revoke");
    assert_eq!(socket.close_code(PATIENCE).await, Some(4401));
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_works() {
    let app = TestApp::spawn().await;
    live_users(&app).await;
    let mut socket = Socket::connect(&app.address, "graphql-ws").await;
    let payload = json!({ "Authorization": format!("Bearer {}", app.token) });
    socket.send(json!({ "type": "connection_init", "payload": payload })).await;
    assert_eq!(socket.next().await["type"], "connection_ack");
    socket.send(json!({ "id": "1", "type": "start", "payload": { "query": EVENTS } })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_action(app.db(), 1, Some(BOB), "create", "Tag").await;
    let message = socket.next().await;
    assert_eq!(message["type"], "data", "{message}");
    assert_eq!(ids(&[message["payload"]["data"]["activityEvents"].clone()]), [1]);
}

#[tokio::test]
async fn draining_sends_what_is_produced_then_closes_with_1001() {
    let mut app = StoppableApp::spawn().await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("1", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.stop();
    assert_eq!(socket.close_code(PATIENCE).await, Some(1001));
    app.stopped_within(PATIENCE).await;
}

/// Several writers (on PostgreSQL, committing ids out of order), a socket killed mid-way and a
/// resume on another gateway over the same database: every row arrives, none twice.
#[tokio::test]
async fn resuming_across_sockets_and_gateways_under_concurrent_writers_loses_and_repeats_nothing() {
    let app = TestApp::spawn().await;
    live_users(&app).await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("1", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    const WRITERS: i64 = 4;
    const ROWS: i64 = 75;
    add_transaction(app.db(), 1, "2026-06-12 10:00:00", Some(BOB)).await;
    // Ids come from the database, as an application's do (SQLite's one writer then commits them in
    // order; PostgreSQL's sequence hands them out before commit, so they commit out of order).
    let insert = "INSERT INTO activity (verb, transaction_id, object_type) VALUES ('update', 1, 'Tag')";
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let db = app.db().clone();
            tokio::spawn(async move {
                for _ in 0..ROWS {
                    db.execute_unprepared(insert).await.expect("an activity");
                }
            })
        })
        .collect();
    let first = socket.edges(60).await;
    let cursor = first[59]["cursor"].clone();
    drop(socket);
    let other_gateway = app.replica().await;
    let mut resumed = Socket::admitted(&other_gateway, &app.token).await;
    resumed.subscribe("1", json!({ "after": cursor })).await;
    for writer in writers {
        writer.await.expect("writer");
    }
    let rest = resumed.edges((WRITERS * ROWS - 60) as usize).await;
    let all: Vec<i64> = ids(&first).into_iter().chain(ids(&rest)).collect();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no row twice");
    assert_eq!(distinct.len() as i64, WRITERS * ROWS, "every row");
    assert_eq!(scalar(app.db(), "SELECT COUNT(*) FROM activity").await, WRITERS * ROWS);
    assert!(resumed.next_within(Duration::from_millis(1500)).await.is_none(), "nothing more");
}

/// The database terminates every connection of the gateway (its listener's too) while rows are
/// written: the feed reconnects or polls, and nothing is lost.
#[tokio::test]
#[ignore = "needs PostgreSQL: terminates the gateway's backends (run with TEST_DATABASE_URL and --include-ignored)"]
async fn terminated_database_connections_mid_feed_lose_nothing() {
    let app = TestApp::spawn().await;
    assert_on_postgres(&app.test_db);
    live_users(&app).await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    socket.subscribe("1", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
        app.application_name
    );
    let mut received = Vec::new();
    for id in 1..=20 {
        write_action(app.db(), id, Some(BOB), "update", "Tag").await;
        if id % 5 == 0 {
            app.db().execute_unprepared(&terminate).await.expect("terminate");
            received.extend(ids(&socket.edges(5).await));
        }
    }
    assert_eq!(received, (1..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_peer_that_answers_no_ping_is_closed_and_one_that_does_stays() {
    let limits = Limits { idle_timeout: Duration::from_secs(1), ..Limits::default() };
    let app = TestApp::spawn_with(limits).await;
    let mut answering = Socket::admitted(&app.address, &app.token).await;
    let mut silent = Socket::admitted(&app.address, &app.token).await;
    // The client answers pings only while it reads.
    assert_eq!(answering.close_code(Duration::from_secs(3)).await, None, "pongs keep it open");
    assert_eq!(silent.close_code(PATIENCE).await, Some(1001), "no pong for the idle timeout");
}

#[tokio::test]
async fn a_clients_close_is_answered_with_its_code() {
    let app = TestApp::spawn().await;
    let mut socket = Socket::admitted(&app.address, &app.token).await;
    let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "done".into(),
    };
    socket.stream.close(Some(frame)).await.expect("close");
    // tungstenite reports the server's answering close frame, then the end.
    let answered = tokio::time::timeout(PATIENCE, async {
        while let Some(message) = socket.stream.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("answered in time");
    assert_eq!(answered, Some(1000));
}
