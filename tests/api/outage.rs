//! When the database goes away, requests get a quick 503 (never SQL or driver text), and the
//! service recovers by itself when it returns.

use std::time::{Duration, Instant};

use audit_gateway::app;
use audit_gateway::db::{self, DbConfig};
use audit_gateway::state::AppState;
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
    let (status, body) = get("/api/activity").await;
    assert_eq!((status, &body["total"]), (200, &json!(11)), "recovered: {body}");
}
