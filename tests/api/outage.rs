//! When the database goes away, requests get a quick 503 (never SQL or driver text), and the
//! service recovers by itself when it returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use audit_gateway::app;
use audit_gateway::db::{self, DbConfig};
use audit_gateway::state::AppState;
use audit_gateway::state::Limits;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::common::*;

/// A TCP relay to PostgreSQL that the test can cut and restore, standing in for a network outage.
struct Relay {
    port: u16,
    upstream: String,
    tasks: JoinSet<()>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let mut relay = Relay { port: 0, upstream, tasks: JoinSet::new() };
        relay.restore().await;
        relay
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("bind relay");
        self.port = listener.local_addr().expect("address").port();
        let upstream = self.upstream.clone();
        self.tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
    }

    /// Drops the listener and every relayed connection.
    fn cut(&mut self) {
        self.tasks.abort_all();
    }
}

fn assert_unavailable(status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    let text = body.to_string();
    assert!(!text.contains("SELECT") && !text.contains("sqlx") && !text.contains("error returned"), "{text}");
}

#[tokio::test]
async fn a_database_that_goes_away_gives_503_and_the_service_recovers() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let Some(schema) = app.test_db.config.schema.clone() else {
        // SQLite is a file inside the process: it cannot go away like a server. A closed pool is
        // the closest thing, and must be a 503 too.
        let closed = db::connect(&app.test_db.config).await.expect("connect");
        let state = AppState::new(closed.clone());
        closed.close_by_ref().await.expect("close");
        let router = app::router(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let response =
            app.client.get(format!("{address}/api/activity")).bearer_auth(&app.token).send().await.expect("request");
        let status = response.status().as_u16();
        assert_unavailable(status, &response.json().await.expect("json"));
        return;
    };

    let url = std::env::var("TEST_DATABASE_URL").expect("PostgreSQL URL");
    let mut relay = Relay::start("127.0.0.1:5432".to_owned()).await;
    let relayed_url = url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port), 1);
    let mut config = DbConfig::new(relayed_url);
    config.schema = Some(schema);
    let relayed_db = db::connect(&config).await.expect("connect through the relay");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app::router(AppState::new(relayed_db))).await });

    let get = |path: &'static str| {
        let (client, token, address) = (app.client.clone(), app.token.clone(), address.clone());
        async move {
            let response = client.get(format!("{address}{path}")).bearer_auth(token).send().await.expect("request");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(get("/api/activity").await.1["total"], 11);

    relay.cut();
    let started = Instant::now();
    let (status, body) = get("/api/activity").await;
    assert_unavailable(status, &body);
    assert_eq!(body, json!({"detail": "Service unavailable"}));
    assert!(started.elapsed() < Duration::from_secs(10), "a quick answer, not a hang");
    // Now that the gateway knows, requests fail at once instead of each waiting for the pool's
    // 3 s time-out (the bound is generous: these machines are noisy).
    let started = Instant::now();
    for _ in 0..3 {
        let (status, body) = get("/api/activity").await;
        assert_unavailable(status, &body);
    }
    assert!(started.elapsed() < Duration::from_secs(3), "fail fast: {:?}", started.elapsed());
    let (status, body) = get("/readyz").await;
    assert_unavailable(status, &body);
    let query = json!({"query": "{ activityInsights { totalActions } }"});
    let response = app
        .client
        .post(format!("{address}/graphql"))
        .bearer_auth(&app.token)
        .json(&query)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE");

    relay.restore().await;
    let (status, body) = eventually_ok(|| get("/api/activity")).await;
    assert_eq!((status, &body["total"]), (200, &json!(11)), "recovered: {body}");
}

/// Retries `request` for up to 10 s until it answers 200: the gateway notices a database that came
/// back within a probe interval, with nothing restarted.
async fn eventually_ok<F: Future<Output = (u16, Value)>>(request: impl Fn() -> F) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let (status, body) = request().await;
        if status == 200 || started.elapsed() > Duration::from_secs(10) {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Holds an exclusive lock on the test's `activity` table, so the gateway's next page blocks
/// on it; returns the transaction holding it (roll it back to release).
async fn lock_activity(db: &DatabaseConnection) -> DatabaseTransaction {
    let lock = db.begin().await.expect("begin");
    lock.execute_unprepared("LOCK TABLE activity IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    lock
}

/// The backends waiting for that lock (only the gateway's can be).
async fn waiting_for_activity(db: &DatabaseConnection) -> Vec<i32> {
    let sql = "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'activity'::regclass";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("pg_locks");
    rows.iter().map(|row| row.try_get::<i32>("", "pid").expect("pid")).collect()
}

async fn wait_until(what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < Duration::from_secs(10), "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `GET /api/activity` in a task of its own; its answer is the task's.
fn spawn_list(app: &TestApp) -> tokio::task::JoinHandle<(u16, Value)> {
    let (client, token, address) = (app.client.clone(), app.token.clone(), app.address.clone());
    tokio::spawn(async move {
        let response = client.get(format!("{address}/api/activity")).bearer_auth(token).send().await.expect("request");
        (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
    })
}

/// Terminates the one gateway backend waiting for the lock on `activity`, once it waits; returns
/// its pid.
async fn terminate_the_waiting_backend(app: &TestApp, not: Option<i32>) -> i32 {
    let mut waiting = Vec::new();
    wait_until("a gateway statement waits for the lock", async || {
        waiting = waiting_for_activity(app.db()).await.into_iter().filter(|pid| Some(*pid) != not).collect();
        !waiting.is_empty()
    })
    .await;
    let pid = waiting[0];
    app.db().execute_unprepared(&format!("SELECT pg_terminate_backend({pid})")).await.expect("terminate");
    pid
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SQLite runs in the process, there is no server to terminate a connection"]
async fn a_connection_terminated_mid_statement_is_retried_on_another() {
    let app = TestApp::spawn().await;
    assert_on_postgres(&app.test_db);
    handmade_log(app.db()).await;
    let lock = lock_activity(app.db()).await;
    let request = spawn_list(&app);
    let first = terminate_the_waiting_backend(&app, None).await;
    // The retry waits for the lock on another connection; the lock goes, the answer is whole.
    wait_until("the retry waits for the lock", async || {
        waiting_for_activity(app.db()).await.iter().any(|pid| *pid != first)
    })
    .await;
    lock.rollback().await.expect("release");
    let (status, body) = request.await.expect("request task");
    assert_eq!((status, &body["total"]), (200, &json!(11)), "{body}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SQLite runs in the process, there is no server to terminate a connection"]
async fn a_connection_terminated_at_every_attempt_is_a_503_never_a_500() {
    let app = TestApp::spawn().await;
    assert_on_postgres(&app.test_db);
    handmade_log(app.db()).await;
    let lock = lock_activity(app.db()).await;
    let request = spawn_list(&app);
    // The first attempt and its two retries, each on another connection.
    let first = terminate_the_waiting_backend(&app, None).await;
    let second = terminate_the_waiting_backend(&app, Some(first)).await;
    let third = terminate_the_waiting_backend(&app, Some(second)).await;
    assert!(first != second && second != third, "each retry ran on another connection");
    let (status, body) = request.await.expect("request task");
    // 57P01 "terminating connection due to administrator command", at every attempt: the server
    // went away.
    assert_unavailable(status, &body);
    assert_eq!(body, json!({"detail": "Service unavailable"}));
    lock.rollback().await.expect("release");
    let (status, body) = eventually_ok(|| app.get("/api/activity")).await;
    assert_eq!((status, &body["total"]), (200, &json!(11)), "recovered: {body}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SQLite runs in the process, there is no server to terminate a connection"]
async fn backends_terminated_under_a_loaded_gateway_cost_no_request() {
    let app = TestApp::spawn().await;
    assert_on_postgres(&app.test_db);
    handmade_log(app.db()).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Every two seconds, every backend of this gateway (idle or mid-statement) is terminated. (Not
    // faster: on a loaded test machine a request's one retry could meet the next round too.)
    let terminator = tokio::spawn({
        let (db, name, stop) = (app.db().clone(), app.application_name.clone(), stop.clone());
        async move {
            let mut rounds = 0;
            while !stop.load(Ordering::Acquire) {
                let sql =
                    format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'");
                db.execute_unprepared(&sql).await.expect("terminate");
                rounds += 1;
                tokio::time::sleep(Duration::from_millis(2_000)).await;
            }
            rounds
        }
    });
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (http, token, address, stop) = (app.client.clone(), app.token.clone(), app.address.clone(), stop.clone());
            tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut answered = 0;
                while !stop.load(Ordering::Acquire) {
                    let response = if client % 2 == 0 {
                        http.get(format!("{address}/api/activity/insights?timeframe=month&end_date=2026-06-30"))
                            .bearer_auth(&token)
                            .send()
                            .await
                    } else {
                        http.post(format!("{address}/graphql"))
                            .bearer_auth(&token)
                            .json(&json!({ "query": DASHBOARD, "variables": { "filter": { "timeframe": "MONTH", "endDate": "2026-06-30" } } }))
                            .send()
                            .await
                    };
                    let response = response.expect("the gateway answers");
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if status != 200 || body.get("errors").is_some() {
                        failures.push(format!("{status} {body}"));
                    }
                    answered += 1;
                }
                (answered, failures)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(7)).await;
    stop.store(true, Ordering::Release);
    let rounds = terminator.await.expect("terminator");
    let (mut answered, mut failures) = (0, Vec::new());
    for client in clients {
        let (n, f) = client.await.expect("client");
        answered += n;
        failures.extend(f);
    }
    eprintln!("{answered} answers, {} not 2xx or with errors, over {rounds} rounds of terminations", failures.len());
    assert!(answered > 50, "the clients were served: {answered}");
    assert!(failures.is_empty(), "{} of {answered} failed: {:?}", failures.len(), &failures[..failures.len().min(5)]);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SQLite readers never wait for a lock (WAL); edge.rs holds the deadline there"]
async fn a_request_past_its_deadline_gets_504_and_its_statement_is_cancelled() {
    let app = TestApp::spawn_with(Limits { request_timeout: Duration::from_secs(1), ..Limits::default() }).await;
    assert_on_postgres(&app.test_db);
    handmade_log(app.db()).await;
    let lock = lock_activity(app.db()).await;
    let (status, body) = app.get("/api/activity").await;
    assert_eq!((status, &body), (504, &json!({"detail": "Request timed out"})));
    // statement_timeout cancels it: it does not wait for the lock to be released.
    wait_until("the statement is cancelled", async || waiting_for_activity(app.db()).await.is_empty()).await;
    lock.rollback().await.expect("release");
    assert_eq!(app.get("/api/activity").await.0, 200);
}
