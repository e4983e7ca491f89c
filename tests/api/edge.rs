//! The edge holds against abusive requests: documents that would crash the parser or stall
//! validation, work bombs, bodies, slow or silent clients, and rates. Each probe is answered
//! with a clear JSON error, and the next request is served as usual.

use std::time::{Duration, Instant};

use audit_gateway::state::Limits;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

const TOTAL: &str = "{ activityInsights { totalActions } }";

async fn assert_still_serving(app: &TestApp) {
    let (status, body) = app.graphql(TOTAL, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["activityInsights"]["totalActions"].is_i64(), "{body}");
}

fn assert_refused_by(status: u16, body: &Value, limit: &str) {
    assert_eq!(status, 400, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["limit"], limit, "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

#[tokio::test]
async fn lists_and_objects_nested_thousands_deep_are_refused_and_the_next_request_is_served() {
    let app = TestApp::spawn().await;
    let list = format!("{{ activity(filter: {{users: {}1{}}}) {{ total }} }}", "[".repeat(2_000), "]".repeat(2_000));
    let (status, body) = app.graphql(&list, json!({})).await;
    assert_refused_by(status, &body, "nesting");
    let object = format!("{{ activity(filter: {}{}) {{ total }} }}", "{a: ".repeat(3_000), "}".repeat(3_000));
    let (status, body) = app.graphql(&object, json!({})).await;
    assert_refused_by(status, &body, "nesting");
    let selections = format!("{}{}", "{ a ".repeat(3_000), "}".repeat(3_000));
    let (status, body) = app.graphql(&selections, json!({})).await;
    assert_refused_by(status, &body, "nesting");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn documents_over_64_kib_are_refused() {
    let app = TestApp::spawn().await;
    let padded = format!("{TOTAL}#{}", "x".repeat(64 * 1024));
    let (status, body) = app.graphql(&padded, json!({})).await;
    assert_refused_by(status, &body, "documentSize");
}

/// A dashboard request sent while `abuse` is being refused, so a refusal that took the server's
/// time would show.
async fn dashboard_beside(app: &TestApp, abuse: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (abused, dashboard) = tokio::join!(
        app.graphql(abuse, json!({})),
        app.graphql(DASHBOARD, json!({"filter": {"endDate": "2026-06-10", "timeframe": "WEEK"}}))
    );
    let (status, body) = dashboard;
    assert_eq!(status, 200, "{body}");
    // The handmade week 06-04 ..= 06-10: everything but 06-03's and 06-11's actions.
    assert_eq!(body["data"]["activityInsights"]["totalActions"], 9, "{body}");
    (abused.0, abused.1, started.elapsed())
}

#[tokio::test]
async fn a_fragment_bomb_is_refused_before_validation_while_a_dashboard_is_served() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // 903 bytes that expand to 2^24 selections.
    let mut bomb = String::from("{ ...F24 } fragment F0 on Query { activityInsights { totalActions } }");
    for k in 1..=24 {
        bomb.push_str(&format!(" fragment F{k} on Query {{ ...F{} ...F{} }}", k - 1, k - 1));
    }
    let (status, body, elapsed) = dashboard_beside(&app, &bomb).await;
    assert_refused_by(status, &body, "selections");
    // Validating it took 18 s of CPU; refusing it takes microseconds. Generous for noisy machines.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql("{ ...A } fragment A on Query { ...A }", json!({})).await;
    assert_refused_by(status, &body, "fragmentCycle");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_alias_bomb_of_ten_year_plain_path_insights_is_refused_by_the_cost_limit() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // Offset 7 is not on a quarter hour: the rollups cannot answer, every day is read row by row.
    // 2016-06-13 ..= 2026-06-10 is 3,650 days, a hundred times over.
    let aliases: String = (0..100)
        .map(|i| {
            format!("a{i}: activityInsights(filter: {{startDate: \"2016-06-13\", endDate: \"2026-06-10\", offset: 7}}) {{ totalActions }} ")
        })
        .collect();
    let (status, body, elapsed) = dashboard_beside(&app, &format!("{{ {aliases} }}")).await;
    assert_refused_by(status, &body, "cost");
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("365000")), "{body}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn one_ten_year_plain_path_insights_fits_the_budget() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let query = "{ activityInsights(filter: {startDate: \"2016-06-13\", endDate: \"2026-06-10\", offset: 7}) { totalActions } }";
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    // Local days start at 00:07 UTC: 06-11 03:00 UTC is past the window's end, the rest inside.
    assert_eq!(body["data"]["activityInsights"]["totalActions"], 10, "{body}");
}

/// The plain path is charged by the rows it reads, which the rollups count before anything runs:
/// four charts at an offset they cannot answer, over a week of 130,000 actions, are refused (they
/// would read the week eight times over), where a charge by days alone let them through; the same
/// at an offset the rollups answer costs a few units.
#[tokio::test]
async fn plain_path_work_is_charged_by_the_rows_it_reads() {
    let end_date = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).expect("date");
    let config =
        audit_gateway::seed::SeedConfig { users: 20, actions: 130_000, days: 7, seed: 5, end_date, not_after: None };
    let app = TestApp::spawn_seeded(&config).await;
    let charts = |offset: i64| {
        let filter = format!("filter: {{timeframe: WEEK, endDate: \"2026-06-10\", offset: {offset}}}");
        let alias =
            |name: &str| format!("{name}: activityInsights({filter}) {{ chart(interval: DAY) {{ userCount }} }}");
        format!("{{ {} {} {} {} }}", alias("a"), alias("b"), alias("c"), alias("d"))
    };
    // 2 minutes: every local day starts off the quarter hour.
    let (status, body) = app.graphql(&charts(2), json!({})).await;
    assert_refused_by(status, &body, "cost");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    // The widened window holds 130,000 rows: 8 passes of 7 days + 1,300 units each.
    assert!(message.contains("asks for 10456 units"), "{message}");
    let (status, body) = app.graphql(&charts(0), json!({})).await;
    assert_eq!(status, 200, "{body}");
    // One of them at the odd offset fits.
    let one = "{ activityInsights(filter: {timeframe: WEEK, endDate: \"2026-06-10\", offset: 2}) { totalActions } }";
    let (status, body) = app.graphql(one, json!({})).await;
    assert_eq!(status, 200, "{body}");
}

/// Sends `head` (and `body`) on a raw connection and returns the status line's code and the body.
async fn raw(app: &TestApp, head: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(app.socket_address()).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer and close before reading the body: that is the point.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    parse_response(&response)
}

fn parse_response(response: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(response);
    let status = text.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_declared_oversized_body_gets_413_before_anything_is_read() {
    let app = TestApp::spawn().await;
    for token in ["", &format!("Authorization: Bearer {}\r\n", app.token)] {
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\n{token}Content-Type: application/json\r\n\
             Content-Length: 209715200\r\nConnection: close\r\n\r\n"
        );
        let (status, body) = raw(&app, &head, b"{\"query\": \"").await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["errors"][0]["message"], "Request body too large", "{body}");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_unauthenticated_streamed_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let (status, body) = raw(&app, head, b"10\r\n{\"query\": \"{ a \r\n").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn an_authenticated_streamed_body_stops_at_the_limit() {
    let app = TestApp::spawn_with(Limits { max_body_bytes: 1024, ..Limits::default() }).await;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.token
    );
    let chunk = format!("800\r\n{}\r\n", " ".repeat(0x800));
    let (status, body) = raw(&app, &head, chunk.repeat(4).as_bytes()).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_a_json_400_without_internals() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{query: nope")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("application/json")));
    let body: Value = response.json().await.expect("json");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(message.starts_with("the body is not a GraphQL request in JSON"), "{message}");
    assert!(!message.contains("InvalidRequest") && !message.contains("Error("), "{message}");
}

#[tokio::test]
async fn the_gateways_own_errors_have_json_bodies() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/nothing-here").await;
    assert_eq!((status, &body), (404, &json!({"detail": "Not found"})), "{body}");
    let response = app
        .client
        .delete(format!("{}/api/activity", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.json::<Value>().await.expect("json"), json!({"detail": "Method not allowed"}));
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::spawn().await;
    let response =
        app.client.get(format!("{}/api/activity", app.address)).bearer_auth(&app.token).send().await.expect("request");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let response =
        app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.expect("request");
    let policy = response.headers()["content-security-policy"].to_str().expect("ascii");
    assert!(policy.contains("default-src 'self'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("http"), "no other host: {policy}");
}

#[tokio::test]
async fn a_request_past_its_deadline_gets_504() {
    let app = TestApp::spawn_with(Limits { request_timeout: Duration::from_secs(1), ..Limits::default() }).await;
    // A client that announces a body and never finishes it holds its request open.
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n",
        app.token
    );
    let mut stream = TcpStream::connect(app.socket_address()).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(b"{\"query\":").await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("an answer at the deadline")
        .expect("read");
    let (status, body) = parse_response(&response);
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    assert_eq!(body["errors"][0]["message"], "Request timed out", "{body}");
}

/// Whether the server closes a connection that sends `prelude` and then nothing, within `within`.
async fn closes_silent_connection(app: &TestApp, prelude: &[u8], within: Duration) -> bool {
    let mut stream = TcpStream::connect(app.socket_address()).await.expect("connect");
    stream.write_all(prelude).await.expect("write");
    let mut buffer = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut buffer)).await.is_ok()
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_disconnected() {
    let limits = Limits { header_read_timeout: Duration::from_secs(1), ..Limits::default() };
    let app = TestApp::spawn_with(limits).await;
    assert!(closes_silent_connection(&app, b"GET /healthz HTTP/1.1\r\nHost:", Duration::from_secs(10)).await);
    assert!(closes_silent_connection(&app, b"", Duration::from_secs(10)).await);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_connection_silent_in_both_directions_is_closed_at_the_idle_timeout() {
    // The header timeout is long here, so only the socket's idle timeout can close it.
    let limits = Limits {
        idle_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let app = TestApp::spawn_with(limits).await;
    assert!(closes_silent_connection(&app, b"GET /healthz HTTP/1.1\r\n", Duration::from_secs(10)).await);
}

#[tokio::test]
async fn a_token_past_its_rate_gets_429_with_retry_after_and_other_tokens_do_not() {
    let limits = Limits { rate_limit_per_minute: std::num::NonZeroU32::new(2), ..Limits::default() };
    let app = TestApp::spawn_with(limits).await;
    let other = audit_gateway::tokens::create(app.db(), "admin", "other", None).await.expect("token").secret;
    for _ in 0..2 {
        assert_eq!(app.get("/api/activity").await.0, 200);
    }
    let response =
        app.client.get(format!("{}/api/activity", app.address)).bearer_auth(&app.token).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(response.json::<Value>().await.expect("json"), json!({"detail": "Too many requests"}));
    let (status, body) = app.graphql(TOTAL, json!({})).await;
    assert_eq!((status, &body["errors"][0]["extensions"]["code"]), (429, &json!("RATE_LIMITED")), "{body}");
    assert_eq!(app.get_as("/api/activity", Some(&other)).await.0, 200);
}
