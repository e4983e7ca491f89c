//! The 401 and 403 rows of docs/behaviour.md, section 7,, on both REST endpoints and on GraphQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use audit_gateway::state::AppState;
use audit_gateway::{auth, tokens};
use chrono::TimeDelta;
use entity::api_token;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::common::*;

const REST_PATHS: [&str; 2] = ["/api/activity", "/api/activity/insights"];
const QUERY: &str = "{ activityInsights { totalActions } }";

/// Inserts a token row directly, as another admin tool might; returns the secret.
async fn insert_token(app: &TestApp, user_id: i64, expires_in: Option<TimeDelta>, revoked: bool) -> String {
    let secret = tokens::generate_secret().expect("randomness");
    let now = tokens::now();
    api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set("direct".into()),
        token_hash: Set(tokens::hash_secret(&secret)),
        created_at: Set(now - TimeDelta::days(10)),
        expires_at: Set(expires_in.map(|delta| now + delta)),
        revoked_at: Set(revoked.then_some(now - TimeDelta::days(1))),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("insert token");
    secret
}

async fn assert_rejected(app: &TestApp, token: Option<&str>, status: u16, detail: &str, code: &str) {
    for path in REST_PATHS {
        let mut request = app.client.get(format!("{}{path}", app.address));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), status, "{path}");
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap_or_default().to_owned());
        assert_eq!(challenge.as_deref(), (status == 401).then_some("Bearer"), "{path}");
        assert_eq!(response.json::<Value>().await.expect("json"), json!({ "detail": detail }), "{path}");
    }
    let (graphql_status, body) = app.graphql_as(QUERY, json!({}), token).await;
    assert_eq!(graphql_status, status);
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    assert_eq!(body["errors"][0]["message"], detail);
}

#[tokio::test]
async fn requests_without_a_token_are_unauthenticated() {
    let app = TestApp::spawn().await;
    assert_rejected(&app, None, 401, "Not authenticated", "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn unknown_and_malformed_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    assert_rejected(&app, Some("agw_not-a-real-token"), 401, "Not authenticated", "UNAUTHENTICATED").await;
    let response = app
        .client
        .get(format!("{}/api/activity", app.address))
        .header("Authorization", format!("Basic {}", app.token))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 401, "only the Bearer scheme is accepted");
}

#[tokio::test]
async fn expired_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let expired = insert_token(&app, ADMIN_ID, Some(TimeDelta::seconds(-1)), false).await;
    assert_rejected(&app, Some(&expired), 401, "Not authenticated", "UNAUTHENTICATED").await;
    let valid = insert_token(&app, ADMIN_ID, Some(TimeDelta::days(1)), false).await;
    assert_eq!(app.get_as("/api/activity", Some(&valid)).await.0, 200);
}

#[tokio::test]
async fn revoked_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let revoked = insert_token(&app, ADMIN_ID, None, true).await;
    assert_rejected(&app, Some(&revoked), 401, "Not authenticated", "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn a_revoked_token_stops_working_within_a_second_on_every_replica() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    let created = tokens::create(app.db(), "admin", "to revoke", None).await.expect("token");
    let status = |address: String| {
        let (client, secret) = (app.client.clone(), created.secret.clone());
        async move {
            let response = client.get(format!("{address}/api/activity")).bearer_auth(secret).send().await;
            response.expect("request").status().as_u16()
        }
    };
    // Both replicas verify it, and remember it.
    assert_eq!(status(app.address.clone()).await, 200);
    assert_eq!(status(replica.clone()).await, 200);
    tokens::revoke(app.db(), created.id).await.expect("revoke");
    // What a replica verified it forgets a second later, so from then on both refuse it.
    tokio::time::sleep(auth::VERIFIED_FOR + Duration::from_millis(100)).await;
    assert_eq!(status(app.address.clone()).await, 401);
    assert_eq!(status(replica).await, 401);
}

#[tokio::test]
async fn a_verified_token_costs_no_statement_for_a_second() {
    let app = TestApp::spawn().await;
    let lookups = Arc::new(AtomicUsize::new(0));
    let mut db = audit_gateway::db::connect(&app.test_db.config).await.expect("connection");
    let counter = lookups.clone();
    db.set_metric_callback(move |info| {
        if info.statement.sql.contains("api_token") {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(audit_gateway::app::serve(listener, AppState::new(db), std::future::pending()));
    let started = std::time::Instant::now();
    for _ in 0..5 {
        let response = app.client.get(format!("{address}/api/activity")).bearer_auth(&app.token).send().await;
        assert_eq!(response.expect("request").status().as_u16(), 200);
    }
    // Five requests within the second cost one look-up (on a machine so slow that the second ran
    // out, fewer than one each).
    let lookups = lookups.load(Ordering::SeqCst);
    if started.elapsed() < auth::VERIFIED_FOR {
        assert_eq!(lookups, 1);
    } else {
        assert!((1..5).contains(&lookups), "{lookups} look-ups");
    }
}

#[tokio::test]
async fn a_token_row_never_contains_the_secret() {
    let app = TestApp::spawn().await;
    let created = tokens::create(app.db(), "1", "inspect", Some(7)).await.expect("token");
    let row = api_token::Entity::find_by_id(created.id).one(app.db()).await.expect("query").expect("row");
    assert_eq!(row.token_hash, tokens::hash_secret(&created.secret));
    let stored = format!("{row:?}");
    assert!(!stored.contains(&created.secret));
    assert!(!stored.contains(created.secret.trim_start_matches("agw_")));
    assert!(row.expires_at.is_some_and(|at| at > tokens::now() + TimeDelta::days(6)));
}

#[tokio::test]
async fn non_admins_are_forbidden() {
    let app = TestApp::spawn().await;
    add_user(app.db(), DAVE, "dave", "Manager", false).await;
    let manager = tokens::create(app.db(), "dave", "manager", None).await.expect("token").secret;
    assert_rejected(&app, Some(&manager), 403, "Not enough permissions", "FORBIDDEN").await;
}

#[tokio::test]
async fn health_needs_no_token_and_readiness_checks_the_database() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get_as("/healthz", None).await, (200, json!({"status": "ok"})));
    assert_eq!(app.get_as("/readyz", None).await, (200, json!({"status": "ready"})));
    let graphiql =
        app.client.get(format!("{}/graphql", app.address)).header("accept", "text/html").send().await.expect("request");
    assert_eq!(graphiql.status().as_u16(), 200, "GraphiQL loads without a token");
    assert!(graphiql.text().await.expect("html").contains("graphiql"));
}
