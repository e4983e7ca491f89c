//! What a fuzz run found: inputs the database cannot store or compare, and GraphQL values of the
//! wrong type, are the client's mistake (a 422 or `BAD_USER_INPUT` naming the field), never a 500
//! or `INTERNAL_SERVER_ERROR`; and the statuses hyper answers by itself have JSON bodies too.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The one `loc` of a 422 body, as `query.<param>`.
fn rest_field(body: &Value) -> String {
    let detail = body["detail"].as_array().unwrap_or_else(|| panic!("a 422 body: {body}"));
    assert_eq!(detail.len(), 1, "{body}");
    format!("{}.{}", detail[0]["loc"][0].as_str().unwrap_or(""), detail[0]["loc"][1].as_str().unwrap_or(""))
}

#[tokio::test]
async fn text_the_database_cannot_compare_is_a_422_on_every_rest_endpoint() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    for endpoint in ["/api/activity", "/api/activity/insights", "/api/activity/facets", "/api/activity/export"] {
        for (query, param, kind) in [
            ("actions=%00", "actions", "value_error.str.nul"),
            ("actions=a%00b", "actions", "value_error.str.nul"),
            ("object_types=%00", "object_types", "value_error.str.nul"),
            ("actions=update&actions=%FF%FE", "actions", "type_error.str"),
            ("object_types=Data%C3", "object_types", "type_error.str"),
        ] {
            let (status, body) = app.get(&format!("{endpoint}?{query}")).await;
            assert_eq!(status, 422, "{endpoint}?{query}: {body}");
            assert_eq!(rest_field(&body), format!("query.{param}"), "{endpoint}?{query}");
            assert_eq!(body["detail"][0]["type"], kind, "{endpoint}?{query}: {body}");
        }
        let long = "a".repeat(256);
        let (status, body) = app.get(&format!("{endpoint}?actions={long}")).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["detail"][0]["msg"], "ensure this value has at most 255 characters");
        assert_eq!(body["detail"][0]["ctx"]["limit_value"], 255);
        // 255 characters, and valid UTF-8 that is not ASCII, are fine.
        let (status, body) = app.get(&format!("{endpoint}?actions={}&object_types=%C3%A9", "a".repeat(255))).await;
        assert_eq!(status, 200, "{body}");
    }
    // Nothing changed and the next request is served.
    let (status, body) = app.get("/api/activity?timeframe=week&end_date=2026-06-10").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(9)), "{body}");
}

#[tokio::test]
async fn a_nul_in_a_graphql_filter_is_bad_user_input_naming_the_field() {
    let app = TestApp::spawn().await;
    for (filter, field) in [
        (json!({ "actions": ["\u{0}"] }), "actions"),
        (json!({ "objectTypes": ["Data\u{0}store"] }), "objectTypes"),
        (json!({ "actions": ["a".repeat(256)] }), "actions"),
    ] {
        for query in [
            "query($f: ActivityFilter) { activity(filter: $f) { total } }",
            "query($f: ActivityFilter) { activityInsights(filter: $f) { totalActions } }",
            "query($f: ActivityFilter) { activityFacets(filter: $f) { actions { value } } }",
            "query($f: ActivityFilter) { activityConnection(filter: $f) { totalCount } }",
        ] {
            let (status, body) = app.graphql(query, json!({ "f": filter })).await;
            assert_eq!(status, 200, "{body}");
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{query}: {body}");
            assert_eq!(error["extensions"]["field"], field, "{query}: {body}");
        }
    }
    let (_, body) = app.graphql(r#"{ activity(filter: {actions: ["\u0000"]}) { total } }"#, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
}

/// POSTs `query` with `variables`, asking for `application/graphql-response+json`.
async fn post_strict(app: &TestApp, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.token)
        .header("accept", GRAPHQL_RESPONSE)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn values_of_the_wrong_type_are_the_clients_mistake_before_anything_executes() {
    let app = TestApp::spawn().await;
    let literals = [
        ("{ activity(filter: {startDate: 1}) { total } }", "startDate"),
        ("{ activity(filter: {startDate: []}) { total } }", "startDate"),
        ("{ activity(filter: {startDate: DAY}) { total } }", "startDate"),
        ("{ activity(filter: {endDate: 1.5}) { total } }", "endDate"),
        ("{ activityInsights(filter: 3) { totalActions } }", "filter"),
        ("{ activity(page: 3) { total } }", "page"),
        ("{ activity(page: {size: \"x\"}) { total } }", "size"),
        ("{ activity(filter: {offset: \"x\"}) { total } }", "offset"),
        // A string literal is not an enum value (the spec: enum literals are names).
        ("{ activityInsights(filter: {timeframe: \"WEEK\"}) { totalActions } }", "timeframe"),
        ("{ activityInsights { chart(interval: \"DAY\") { userCount } } }", "interval"),
        ("{ activityConnection(filter: {users: [{a: 1}]}) { totalCount } }", "users"),
    ];
    let variables = [
        ("query($d: Date) { activity(filter: {startDate: $d}) { total } }", json!({ "d": 1 }), "d"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": 3.7 }), "f"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": "x" }), "f"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": 1 }), "f"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": [] }), "f"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": true }), "f"),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": [1] }), "f"),
        (
            "query($f: ActivityFilter) { activity(filter: $f) { total } }",
            json!({ "f": { "startDate": 5 } }),
            "startDate",
        ),
        (
            "query($f: ActivityFilter) { activity(filter: $f) { total } }",
            json!({ "f": { "timeframe": "DAY" } }),
            "timeframe",
        ),
        ("query($f: ActivityFilter) { activity(filter: $f) { total } }", json!({ "f": { "nope": 1 } }), "nope"),
        ("query($p: PageInput) { activity(page: $p) { total } }", json!({ "p": 3.7 }), "p"),
        ("query($i: ChartInterval!) { activityInsights { chart(interval: $i) { userCount } } }", json!({}), "i"),
    ];
    let cases =
        literals.into_iter().map(|(query, field)| (query, json!({}), field)).chain(variables).collect::<Vec<_>>();
    for (query, variables, field) in cases {
        let (status, body) = post_strict(&app, query, variables.clone()).await;
        assert_eq!(status, 400, "{query} {variables}: {body}");
        assert!(body.get("data").is_none(), "{query} {variables}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{query} {variables}: {body}");
        assert_eq!(error["extensions"]["field"], field, "{query} {variables}: {body}");
        // Older clients get the same error with a 200.
        let (status, body) = app.graphql(query, variables.clone()).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{query}: {body}");
    }

    // Variables keep JSON's strings for enum values, and a single value stands for a list.
    let query = "query($f: ActivityFilter) { activityInsights(filter: $f) { totalActions } }";
    let filter = json!({ "f": { "timeframe": "WEEK", "users": 2, "actions": "update" } });
    let (status, body) = post_strict(&app, query, filter).await;
    assert_eq!((status, &body["data"]["activityInsights"]["totalActions"]), (200, &json!(0)), "{body}");
}

/// Sends raw bytes and reads the whole answer.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.socket_address()).await.expect("connect");
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_statuses_hyper_answers_itself_have_json_bodies() {
    let app = TestApp::spawn().await;
    let long_uri = format!("GET /api/activity?actions={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(72 * 1024));
    // Past hyper's read buffer (about 400 KB).
    let big_header = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(500 * 1024));
    let malformed = "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n".to_owned();
    for (request, status) in [(long_uri, "414"), (big_header, "431"), (malformed, "400")] {
        let answer = raw_exchange(&app, request.as_bytes()).await;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
        let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {body:?}"));
        assert!(body["detail"].is_string(), "{body}");
    }
}
