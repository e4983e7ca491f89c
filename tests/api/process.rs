//! The real binary, as an operator runs it: `serve` drains in-flight requests on SIGTERM and
//! exits 0, refuses oversized or unauthenticated bodies without its memory growing, and logs who
//! read the audit log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audit_gateway::tokens;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// `audit-gateway serve` on a free port over a fresh database with an admin token.
struct Gateway {
    child: Child,
    address: String,
    token: String,
    /// Everything it wrote to stderr so far, line by line.
    log: Arc<Mutex<Vec<String>>>,
    _test_db: TestDb,
}

impl Gateway {
    async fn start() -> Gateway {
        Gateway::start_with(&[]).await
    }

    /// `serve` with `extra` flags after the usual ones.
    async fn start_with(extra: &[&str]) -> Gateway {
        let test_db = TestDb::new().await;
        add_user(&test_db.db, ADMIN_ID, "admin", "Admin", false).await;
        handmade_log(&test_db.db).await;
        let token = tokens::create(&test_db.db, "admin", "process", None).await.expect("token").secret;
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let address = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
            .args(["serve", "--bind", &address, "--log-format", "json"])
            .args(extra)
            .env("DATABASE_URL", cli_url(&test_db))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start audit-gateway");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().expect("log").push(line);
            }
        });
        let gateway = Gateway { child, address, token, log, _test_db: test_db };
        let started = Instant::now();
        while TcpStream::connect(&gateway.address).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the gateway did not start: {:?}", gateway.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        gateway
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit; `None` if it is still running after 15 s.
    async fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// Resident memory of the process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("VmRSS");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number")
    }

    /// The head of a GraphQL POST whose body has `length` bytes.
    fn post_head(&self, length: usize) -> String {
        self.post_head_with(length, "")
    }

    /// The same, with `headers` (each ending in CRLF) added.
    fn post_head_with(&self, length: usize, headers: &str) -> String {
        format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
             {headers}Content-Length: {length}\r\nConnection: close\r\n\r\n",
            self.token
        )
    }

    /// Sends one GraphQL POST and returns its status and the whole response.
    async fn post(&self, body: &[u8], headers: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).await.expect("connect");
        stream.write_all(self.post_head_with(body.len(), headers).as_bytes()).await.expect("head");
        stream.write_all(body).await.expect("body");
        read_status(&mut stream).await
    }

    /// The access log's lines (`--log-format json`), as JSON.
    fn access_log(&self) -> Vec<Value> {
        self.log()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["fields"]["message"] == "request")
            .collect()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn read_status(stream: &mut TcpStream) -> (u16, String) {
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    (text.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0), text)
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_0() {
    let mut gateway = Gateway::start().await;
    let body =
        br#"{"query": "{ activityInsights(filter: {endDate: \"2026-06-10\", timeframe: WEEK}) { totalActions } }"}"#;
    let (first, rest) = body.split_at(20);
    // Four requests in flight: their bodies are half sent when the signal comes.
    let mut streams = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&gateway.address).await.expect("connect");
        stream.write_all(gateway.post_head(body.len()).as_bytes()).await.expect("head");
        stream.write_all(first).await.expect("first half");
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    gateway.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(TcpStream::connect(&gateway.address).await.is_err(), "no new connections once draining");
    for stream in &mut streams {
        stream.write_all(rest).await.expect("second half");
    }
    for stream in &mut streams {
        let (status, text) = read_status(stream).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains(r#""totalActions":9"#), "{text}");
    }
    let status = gateway.exit_status().await.expect("exits after draining");
    assert!(status.success(), "{status:?}: {:?}", gateway.log());
}

#[tokio::test]
async fn oversized_and_unauthenticated_bodies_do_not_grow_the_servers_memory() {
    let gateway = Gateway::start().await;
    let mut warm_up = TcpStream::connect(&gateway.address).await.expect("connect");
    let body = br#"{"query": "{ activityInsights { totalActions } }"}"#;
    warm_up.write_all(gateway.post_head(body.len()).as_bytes()).await.expect("head");
    warm_up.write_all(body).await.expect("body");
    assert_eq!(read_status(&mut warm_up).await.0, 200);
    let before = gateway.rss_kib();

    let chunk = vec![b' '; 64 * 1024];
    // 200 MB declared (authenticated or not), and 50 MB streamed without a length or a token.
    let heads = [
        format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            200 << 20
        ),
        gateway.post_head(200 << 20),
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_owned(),
    ];
    for (head, expected) in heads.iter().zip([413, 413, 401]) {
        // Refused from the head alone, before any body: the exact status, so a server that drops
        // every connection (status 0 below) cannot pass.
        if !head.contains("chunked") {
            let mut stream = TcpStream::connect(&gateway.address).await.expect("connect");
            stream.write_all(head.as_bytes()).await.expect("head");
            let (status, text) = read_status(&mut stream).await;
            assert_eq!(status, expected, "{text}");
        }
        for _ in 0..2 {
            let mut stream = TcpStream::connect(&gateway.address).await.expect("connect");
            stream.write_all(head.as_bytes()).await.expect("head");
            let chunked = head.contains("chunked");
            // Push until the server stops listening (or 50 MB went out).
            for _ in 0..800 {
                let written = if chunked {
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    stream.write_all(&framed).await
                } else {
                    stream.write_all(&chunk).await
                };
                if written.is_err() {
                    break;
                }
            }
            let (status, text) = read_status(&mut stream).await;
            // A server that closed while we still wrote may have its answer cut off; it never
            // answers anything but the refusal.
            assert!(status == expected || status == 0, "{text}");
        }
    }
    // And it still serves.
    let mut stream = TcpStream::connect(&gateway.address).await.expect("connect");
    stream.write_all(gateway.post_head(body.len()).as_bytes()).await.expect("head");
    stream.write_all(body).await.expect("body");
    assert_eq!(read_status(&mut stream).await.0, 200);
    let after = gateway.rss_kib();
    // Read into memory, 600 MB of bodies would show; a few MiB of connection buffers may not.
    assert!(after < before + 8 * 1024, "RSS grew from {before} KiB to {after} KiB");
}

#[tokio::test]
async fn the_access_log_says_who_read_the_audit_log() {
    let mut gateway = Gateway::start().await;
    let body = br#"{"query": "query Dashboard { activityInsights { totalActions } }", "operationName": "Dashboard"}"#;
    assert_eq!(gateway.post(body, "").await.0, 200);
    gateway.terminate();
    assert!(gateway.exit_status().await.is_some_and(|status| status.success()));

    let log = gateway.log();
    assert!(log.iter().all(|line| !line.contains(&gateway.token)), "the secret is never logged");
    let requests = gateway.access_log();
    let graphql = requests.iter().find(|line| line["fields"]["path"] == "/graphql").expect("logged");
    let fields = &graphql["fields"];
    assert_eq!(fields["status"], 200);
    assert_eq!(fields["user_id"], ADMIN_ID);
    assert!(fields["token_id"].is_i64(), "{graphql}");
    assert_eq!(fields["operation"], "Dashboard");
    assert!(fields["client"].as_str().is_some_and(|client| client.starts_with("127.0.0.1:")), "{graphql}");
    assert!(fields["elapsed_ms"].is_number(), "{graphql}");
    assert!(log.iter().all(|line| !line.contains("\u{1b}[")), "no colours off a terminal");
}

/// An OTLP/HTTP receiver, as a collector is: it takes `POST /v1/traces` in protobuf and keeps the
/// spans it decodes.
struct Receiver {
    address: String,
    spans: Arc<Mutex<Vec<otlp::Span>>>,
}

mod otlp {
    pub use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
    pub use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
    pub use opentelemetry_proto::tonic::trace::v1::Span;
    pub use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
}

impl Receiver {
    async fn start() -> Receiver {
        use axum::http::{HeaderMap, StatusCode, header};
        use prost::Message;
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = spans.clone();
        let receive = move |headers: HeaderMap, body: axum::body::Bytes| async move {
            assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf", "OTLP/HTTP in protobuf");
            let Ok(request) = otlp::ExportTraceServiceRequest::decode(body) else {
                return (StatusCode::BAD_REQUEST, Vec::new());
            };
            let mut spans = kept.lock().expect("spans");
            for resource in request.resource_spans {
                let service = resource.resource.iter().flat_map(|r| &r.attributes).find(|a| a.key == "service.name");
                assert!(
                    service.and_then(|a| a.value.as_ref()).and_then(|v| v.value.as_ref())
                        == Some(&otlp::AnyValue::StringValue("audit-gateway".into())),
                    "service.name is audit-gateway: {service:?}"
                );
                spans.extend(resource.scope_spans.into_iter().flat_map(|scope| scope.spans));
            }
            (StatusCode::OK, otlp::ExportTraceServiceResponse::default().encode_to_vec())
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let router = axum::Router::new().route("/v1/traces", axum::routing::post(receive));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { address, spans }
    }

    fn spans(&self) -> Vec<otlp::Span> {
        self.spans.lock().expect("spans").clone()
    }
}

/// A span's string attribute.
fn attribute<'s>(span: &'s otlp::Span, key: &str) -> Option<&'s str> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        otlp::AnyValue::StringValue(text) => Some(text.as_str()),
        _ => None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn traces_go_to_the_otlp_endpoint_continue_traceparent_and_name_each_statement() {
    let receiver = Receiver::start().await;
    let endpoint = format!("http://{}", receiver.address);
    let mut gateway = Gateway::start_with(&["--otlp-endpoint", &endpoint]).await;
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const CALLER: &str = "00f067aa0ba902b7";
    // A verb no statement may contain: it is a bound value.
    let body = br#"{"query": "query Dashboard { activityInsights(filter: {actions: [\"verb-as-a-value\"], timeframe: YEAR}) { totalActions } activity { items { id transaction { user { name } } } } }", "operationName": "Dashboard"}"#;
    for traceparent in [format!("traceparent: 00-{TRACE}-{CALLER}-01\r\n"), String::new()] {
        let (status, response) = gateway.post(body, &traceparent).await;
        assert!(status == 200 && !response.contains("\"errors\""), "{response}");
    }
    // Shutting down sends what is still queued.
    gateway.terminate();
    assert!(gateway.exit_status().await.is_some_and(|status| status.success()), "{:?}", gateway.log());

    let spans = receiver.spans();
    let servers: Vec<&otlp::Span> = spans.iter().filter(|s| s.kind == otlp::SpanKind::Server as i32).collect();
    assert_eq!(servers.len(), 2, "one server span per request: {servers:#?}");
    let continued = servers.iter().find(|s| hex(&s.trace_id) == TRACE).expect("the caller's trace is continued");
    assert_eq!(hex(&continued.parent_span_id), CALLER, "the server span's parent is the caller's span");
    assert_eq!(continued.name, "POST /graphql");
    assert_eq!(attribute(continued, "http.route"), Some("/graphql"));
    assert_eq!(attribute(continued, "graphql.operation.name"), Some("Dashboard"));
    let status = continued.attributes.iter().find(|a| a.key == "http.response.status_code").expect("status");
    assert_eq!(status.value.as_ref().and_then(|v| v.value.as_ref()), Some(&otlp::AnyValue::IntValue(200)));
    let started = servers.iter().find(|s| hex(&s.trace_id) != TRACE).expect("the other request");
    assert!(started.parent_span_id.is_empty(), "without traceparent a request starts a trace");

    // Every other span of the continued trace descends from its server span.
    let trace: Vec<&otlp::Span> = spans.iter().filter(|s| hex(&s.trace_id) == TRACE).collect();
    let parent_of = |span: &otlp::Span| trace.iter().find(|p| p.span_id == span.parent_span_id).copied();
    for span in &trace {
        let mut at = *span;
        while at.span_id != continued.span_id {
            at = parent_of(at).unwrap_or_else(|| panic!("{} is not under the request's span", span.name));
        }
    }
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    for name in ["request", "parse", "validation", "execute"] {
        assert!(names.contains(&name), "async-graphql's {name} span: {names:?}");
    }
    let statements: Vec<&str> = trace
        .iter()
        .filter(|s| s.kind == otlp::SpanKind::Client as i32)
        .filter_map(|s| attribute(s, "db.statement"))
        .collect();
    assert!(statements.len() >= 2, "the insights and the page each run SQL: {names:?}");
    assert!(
        statements.iter().all(|sql| sql.contains("SELECT") || sql.starts_with("BEGIN") || sql.starts_with("SET")),
        "{statements:#?}"
    );
    assert!(statements.iter().all(|sql| !sql.contains("verb-as-a-value")), "values are bound, never in the text");
    assert!(
        trace.iter().filter(|s| s.kind == otlp::SpanKind::Client as i32).all(|s| attribute(s, "db.system").is_some())
    );

    // The access log says which trace each request was.
    let lines = gateway.access_log();
    let logged: Vec<&str> = lines.iter().filter_map(|line| line["fields"]["trace_id"].as_str()).collect();
    assert_eq!(logged, [TRACE.to_owned(), hex(&started.trace_id)], "{lines:#?}");
}
