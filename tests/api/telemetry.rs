//! `GET /metrics` on the metrics listener: every series named, described and labelled as
//! docs/operating.md says, with bounded labels. (The recorder is global to the test process, so
//! these tests look for their own series among everyone's.)

use audit_gateway::telemetry;
use serde_json::json;
use tokio::net::TcpListener;

use crate::common::*;

/// Serves the metrics of `app`'s database on a listener of their own; returns its address.
async fn metrics_listener(app: &TestApp) -> String {
    telemetry::handle();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let router = telemetry::router(app.db().clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn scrape(app: &TestApp, address: &str) -> String {
    let response = app.client.get(format!("{address}/metrics")).send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("text").starts_with("text/plain; version=0.0.4"));
    response.text().await.expect("text")
}

/// The lines of `text` for the series `name` whose labels include every pair of `labels`.
fn series<'t>(text: &'t str, name: &str, labels: &[(&str, &str)]) -> Vec<&'t str> {
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} ")))
        .filter(|line| labels.iter().all(|(key, value)| line.contains(&format!("{key}=\"{value}\""))))
        .collect()
}

#[tokio::test]
async fn requests_are_counted_by_method_route_and_status_and_every_metric_is_described() {
    let app = TestApp::spawn().await;
    let address = metrics_listener(&app).await;
    handmade_log(app.db()).await;
    assert_eq!(app.get("/api/activity?size=1").await.0, 200);
    assert_eq!(app.get("/api/activity?size=x").await.0, 422);
    let dashboard = json!({
        "query": DASHBOARD,
        "operationName": "Dashboard",
        "variables": { "filter": { "timeframe": "MONTH", "endDate": "2026-06-30" } },
    });
    let response =
        app.client.post(format!("{}/graphql", app.address)).bearer_auth(&app.token).json(&dashboard).send().await;
    assert_eq!(response.expect("request").status(), 200);
    let text = scrape(&app, &address).await;

    let duration = "http_server_request_duration_seconds_bucket";
    let ok = [("http_request_method", "GET"), ("http_route", "/api/activity"), ("http_response_status_code", "200")];
    assert!(!series(&text, duration, &ok).is_empty(), "{text}");
    let refused = [("http_route", "/api/activity"), ("http_response_status_code", "422")];
    assert!(!series(&text, duration, &refused).is_empty(), "{text}");
    let graphql = [("http_request_method", "POST"), ("http_route", "/graphql"), ("http_response_status_code", "200")];
    assert!(!series(&text, duration, &graphql).is_empty(), "{text}");
    // By its name, or as `other` once the process has seen 100 names (the suite's other tests send
    // many).
    let named =
        |name| !series(&text, "audit_gateway_graphql_operations_total", &[("graphql_operation_name", name)]).is_empty();
    assert!(named("Dashboard") || named("other"), "{text}");
    // 1 here; the process's other tests may have found their own database away meanwhile.
    let up = series(&text, "audit_gateway_database_up", &[]);
    assert!(up == ["audit_gateway_database_up 1"] || up == ["audit_gateway_database_up 0"], "{up:?}");
    assert_eq!(series(&text, "db_client_connections_usage", &[("state", "idle")]).len(), 1, "{text}");
    assert_eq!(series(&text, "db_client_connections_max", &[]), ["db_client_connections_max 16"]);

    // Every metric has HELP and TYPE; counters end in `_total`; no gauge ends in `_count`.
    let types: Vec<(&str, &str)> =
        text.lines().filter_map(|line| line.strip_prefix("# TYPE ")).filter_map(|rest| rest.split_once(' ')).collect();
    assert!(types.len() >= 5, "{text}");
    for (name, kind) in types {
        assert!(text.contains(&format!("# HELP {name} ")), "no HELP for {name}");
        match kind {
            "counter" => assert!(name.ends_with("_total"), "{name}"),
            "gauge" => assert!(!name.ends_with("_count"), "{name}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn refusals_are_counted_by_limit_and_operation_names_are_bounded() {
    let app = TestApp::spawn().await;
    let address = metrics_listener(&app).await;
    let deep = format!("{{ activity(filter: {{ users: {}1{} }}) {{ total }} }}", "[".repeat(40), "]".repeat(40));
    let (status, _) = app.graphql(&deep, json!({})).await;
    assert_eq!(status, 400);
    for n in 0..telemetry::MAX_OPERATION_NAMES + 20 {
        let query = format!("query Named{n} {{ __typename }}");
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.token)
            .json(&json!({ "query": query, "operationName": format!("Named{n}") }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
    }
    let text = scrape(&app, &address).await;
    assert!(!series(&text, "audit_gateway_refusals_total", &[("limit", "nesting")]).is_empty(), "{text}");
    let names = series(&text, "audit_gateway_graphql_operations_total", &[]);
    assert!(names.len() <= telemetry::MAX_OPERATION_NAMES + 2, "{} series of operation names", names.len());
    assert!(
        !series(&text, "audit_gateway_graphql_operations_total", &[("graphql_operation_name", "other")]).is_empty()
    );
}
