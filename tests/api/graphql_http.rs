//! GraphQL over HTTP as the specification says and real clients expect: media types and statuses,
//! GET queries, batches, persisted queries, IDs beyond 2^53, null propagation, CORS.

use audit_gateway::state::Limits;
use axum::http::HeaderValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;

const TOTAL: &str = "{ activityInsights { totalActions } }";

/// A POST with the admin token and `accept`; returns the status, the content type and the body.
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut request = app.client.post(format!("{}/graphql", app.address)).bearer_auth(&app.token).json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map_or("", |v| v.to_str().unwrap_or("")).to_owned();
    (status, content_type, response.json().await.unwrap_or(Value::Null))
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = TestApp::spawn().await;
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some("application/graphql-response+json, application/json;q=0.9"), GRAPHQL_RESPONSE),
    ] {
        let (status, content_type, body) = post(&app, accept, json!({"query": TOTAL})).await;
        assert_eq!(status, 200, "{accept:?}: {body}");
        assert!(content_type.starts_with(expected), "{accept:?}: {content_type}");
        assert_eq!(body["data"]["activityInsights"]["totalActions"], 0);
    }
    let (status, _, _) = post(&app, Some("text/csv"), json!({"query": TOTAL})).await;
    assert_eq!(status, 406);
}

#[tokio::test]
async fn a_document_that_never_executes_has_no_data_and_its_status_follows_the_media_type() {
    let app = TestApp::spawn().await;
    for query in ["{ activityInsights { totalActions ", "{ nope }"] {
        let (status, _, body) = post(&app, Some(GRAPHQL_RESPONSE), json!({"query": query})).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        let (status, _, body) = post(&app, Some("application/json"), json!({"query": query})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
    // Variables that do not coerce are the request's fault too.
    let query = "query($f: ActivityFilter) { activity(filter: $f) { total } }";
    let (status, _, body) =
        post(&app, Some(GRAPHQL_RESPONSE), json!({"query": query, "variables": {"f": {"timeframe": "DECADE"}}})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests_are_400_and_other_media_types_415() {
    let app = TestApp::spawn().await;
    for body in [json!({}), json!({"query": 7}), json!({"query": TOTAL, "variables": "x"}), json!([])] {
        let (status, _, answer) = post(&app, None, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let request = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.token)
        .header("content-type", "text/plain")
        .body(json!({"query": TOTAL}).to_string());
    assert_eq!(answer(request).await.0, 415);
}

#[tokio::test]
async fn queries_can_be_sent_with_get_and_mutations_cannot() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let url = format!("{}/graphql", app.address);
    let variables = json!({"f": {"timeframe": "WEEK", "endDate": "2026-06-10"}}).to_string();
    let query = "query Week($f: ActivityFilter) { activityInsights(filter: $f) { totalActions } }";
    let request = app.client.get(&url).bearer_auth(&app.token).query(&[
        ("query", query),
        ("variables", &variables),
        ("operationName", "Week"),
    ]);
    let (status, content_type, body) = answer(request).await;
    assert_eq!((status, content_type.starts_with("application/json")), (200, true), "{body}");
    assert_eq!(body["data"]["activityInsights"]["totalActions"], 9);

    let unauthenticated = app.client.get(&url).query(&[("query", TOTAL)]);
    assert_eq!(answer(unauthenticated).await.0, 401);
    let mutation = app.client.get(&url).bearer_auth(&app.token).query(&[("query", "mutation { x }")]);
    let response = mutation.send().await.expect("request");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // A browser's navigation, with no query, gets the playground and needs no token.
    let page = app.client.get(&url).header("accept", "text/html,application/xhtml+xml").send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("/graphql/assets/graphiql.min.js") && !html.contains("unpkg"), "{html}");
}

#[tokio::test]
async fn the_playground_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "playground.js",
    ] {
        let response = app.client.get(format!("{}/graphql/assets/{asset}", app.address)).send().await.expect("asset");
        assert_eq!(response.status().as_u16(), 200, "{asset}");
        assert!(response.bytes().await.expect("bytes").len() > 100, "{asset}");
    }
    let script = app.client.get(format!("{}/graphql/assets/playground.js", app.address)).send().await.expect("js");
    let script = script.text().await.expect("text");
    assert!(script.contains("query Dashboard(") && script.contains("Bearer "), "{script}");
}

#[tokio::test]
async fn a_batch_runs_every_operation_and_shares_one_cost_budget() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let week =
        json!({"query": "{ activityInsights(filter: {timeframe: WEEK, endDate: \"2026-06-10\"}) { totalActions } }"});
    let (status, _, body) = post(&app, None, json!([week, {"query": "{ activity { total } }"}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["data"]["activityInsights"]["totalActions"], 9, "{body}");
    assert_eq!(body[1]["data"]["activity"]["total"], 11, "{body}");

    let (status, _, body) = post(&app, None, Value::Array(vec![week.clone(); 11])).await;
    assert_eq!(status, 400, "at most ten operations: {body}");

    // Each costs 3,650 units alone; three do not fit in one request's 10,000.
    let decade = json!({"query": "{ activityInsights(filter: {startDate: \"2016-06-13\", endDate: \"2026-06-10\", offset: 7}) { totalActions } }"});
    let (status, _, body) = post(&app, None, json!([decade, decade, decade])).await;
    assert_eq!(status, 200, "{body}");
    let refused: Vec<&Value> =
        body.as_array().expect("array").iter().filter(|r| r["errors"][0]["extensions"]["limit"] == "cost").collect();
    assert_eq!(refused.len(), 1, "{body}");
}

#[tokio::test]
async fn persisted_queries_are_registered_by_hash_and_then_sent_by_hash_alone() {
    let app = TestApp::spawn().await;
    let hash = format!("{:x}", Sha256::digest(TOTAL.as_bytes()));
    let persisted = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let (_, _, body) = post(&app, None, json!({"extensions": persisted})).await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (status, _, body) = post(&app, None, json!({"query": TOTAL, "extensions": persisted})).await;
    assert_eq!((status, &body["data"]["activityInsights"]["totalActions"]), (200, &json!(0)), "{body}");
    let (status, _, body) = post(&app, None, json!({"extensions": persisted})).await;
    assert_eq!((status, &body["data"]["activityInsights"]["totalActions"]), (200, &json!(0)), "{body}");
}

#[tokio::test]
async fn ids_beyond_2_to_the_53_round_trip_as_strings() {
    let app = TestApp::spawn().await;
    // 2^53 + 1 cannot be a JavaScript number.
    let big: i64 = (1 << 53) + 1;
    add_user(app.db(), big, "big", "Member", false).await;
    add_transaction(app.db(), big + 2, "2026-06-09 12:00:00", Some(big)).await;
    add_activity(app.db(), big + 4, big + 2, "create", "Tag").await;
    let query =
        "query($f: ActivityFilter) { activity(filter: $f) { items { id objectId transaction { id user { id } } } } }";
    for users in [json!([big.to_string()]), json!([big])] {
        let (status, _, body) = post(&app, None, json!({"query": query, "variables": {"f": {"users": users}}})).await;
        assert_eq!(status, 200, "{body}");
        let item = &body["data"]["activity"]["items"][0];
        assert_eq!(item["id"], (big + 4).to_string(), "{body}");
        assert_eq!(item["objectId"], ((big + 4) * 100).to_string(), "{body}");
        assert_eq!(item["transaction"]["id"], (big + 2).to_string(), "{body}");
        assert_eq!(item["transaction"]["user"]["id"], big.to_string(), "{body}");
    }
    let (_, _, body) = post(&app, None, json!({"query": query, "variables": {"f": {"users": ["bob"]}}})).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "users", "{body}");
}

#[tokio::test]
async fn a_failing_non_null_root_field_nulls_data_as_a_whole() {
    let app = TestApp::spawn().await;
    let query = "{ activityInsights { totalActions } activity(page: {size: 1000}) { total } }";
    let (status, _, body) = post(&app, None, json!({"query": query})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["activity"]), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn errors_before_execution_carry_no_locations() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql_as(TOTAL, json!({}), None).await;
    assert_eq!(status, 401);
    assert!(body["errors"][0].get("locations").is_none(), "{body}");
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn the_full_introspection_query_is_answered() {
    let app = TestApp::spawn().await;
    // graphql-js's getIntrospectionQuery() nests `ofType` this deep inside `types { fields { args } }`.
    let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name \
                    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let query = format!(
        "{{ __schema {{ description queryType {{ name }} types {{ kind name description specifiedByURL \
         fields(includeDeprecated: true) {{ name args(includeDeprecated: true) {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} \
         inputFields(includeDeprecated: true) {{ name type {{ {type_ref} }} }} }} \
         directives {{ name isRepeatable locations args(includeDeprecated: true) {{ name }} }} }} }}"
    );
    let (status, _, body) = post(&app, None, json!({"query": query})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    let date = types.iter().find(|t| t["name"] == "Date").expect("Date");
    assert!(date["specifiedByURL"].as_str().is_some_and(|url| url.contains("rfc3339")), "{date}");
    assert!(date["description"].is_string(), "{date}");
    // The schema itself has no description (async-graphql would answer the `__Schema` type's).
    assert_eq!(body["data"]["__schema"]["description"], Value::Null);
}

/// A CORS preflight from `origin`; returns the `Access-Control-Allow-Origin` it got, if any.
async fn preflight(app: &TestApp, origin: &str) -> Option<String> {
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .expect("preflight");
    let allowed = response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap_or("").to_owned());
    if allowed.is_some() {
        let headers = response.headers()["access-control-allow-headers"].to_str().unwrap_or("").to_ascii_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    }
    allowed
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_named_and_then_only_for_them() {
    let closed = TestApp::spawn().await;
    assert_eq!(preflight(&closed, "https://audit.example.com").await, None);

    let origin = HeaderValue::from_static("https://audit.example.com");
    let open = TestApp::spawn_configured(Limits::default(), |state| state.with_cors_allow_origins(vec![origin])).await;
    assert_eq!(preflight(&open, "https://audit.example.com").await.as_deref(), Some("https://audit.example.com"));
    assert_eq!(preflight(&open, "https://evil.example.net").await, None);
    let response = open
        .client
        .post(format!("{}/graphql", open.address))
        .header("origin", "https://audit.example.com")
        .bearer_auth(&open.token)
        .json(&json!({"query": TOTAL}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["access-control-allow-origin"], "https://audit.example.com");
}
