//! The 422 contract of the REST face: pydantic v1's shape, one entry per bad parameter.

use serde_json::{Value, json};

use crate::common::*;

async fn invalid(app: &TestApp, path_and_query: &str) -> Vec<Value> {
    let (status, body) = app.get(path_and_query).await;
    assert_eq!(status, 422, "{path_and_query}: {body}");
    body["detail"].as_array().expect("detail list").clone()
}

fn entry(param: &str, msg: &str, kind: &str) -> Value {
    json!({"loc": ["query", param], "msg": msg, "type": kind})
}

fn bound(param: &str, msg: &str, kind: &str, limit: i64) -> Value {
    json!({"loc": ["query", param], "msg": msg, "type": kind, "ctx": {"limit_value": limit}})
}

const ENUM_MSG: &str = "value is not a valid enumeration member; permitted: 'week', 'month', 'quarter', 'year'";

#[tokio::test]
async fn every_bad_parameter_is_reported_at_once() {
    let app = TestApp::spawn().await;
    assert_eq!(
        invalid(&app, "/api/activity?page=0&size=500&timeframe=century").await,
        vec![
            entry("timeframe", ENUM_MSG, "type_error.enum"),
            bound("page", "ensure this value is greater than or equal to 1", "value_error.number.not_ge", 1),
            bound("size", "ensure this value is less than or equal to 100", "value_error.number.not_le", 100),
        ]
    );
}

#[tokio::test]
async fn each_type_error_has_the_pydantic_wording() {
    let app = TestApp::spawn().await;
    let cases = [
        ("users=abc", entry("users", "value is not a valid integer", "type_error.integer")),
        ("users=1&users=2.5", entry("users", "value is not a valid integer", "type_error.integer")),
        ("offset=east", entry("offset", "value is not a valid integer", "type_error.integer")),
        ("page=first", entry("page", "value is not a valid integer", "type_error.integer")),
        ("start_date=2026-02-30", entry("start_date", "invalid date format", "value_error.date")),
        ("end_date=10/06/2026", entry("end_date", "invalid date format", "value_error.date")),
        (
            "include_internal=maybe",
            entry("include_internal", "value could not be parsed to a boolean", "type_error.bool"),
        ),
        ("timeframe=WEEK", entry("timeframe", ENUM_MSG, "type_error.enum")),
        ("size=0", bound("size", "ensure this value is greater than or equal to 1", "value_error.number.not_ge", 1)),
        (
            "offset=841",
            bound("offset", "ensure this value is less than or equal to 840", "value_error.number.not_le", 840),
        ),
        (
            "offset=-841",
            bound("offset", "ensure this value is greater than or equal to -840", "value_error.number.not_ge", -840),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(invalid(&app, &format!("/api/activity?{query}")).await, vec![expected], "{query}");
    }
}

#[tokio::test]
async fn rules_across_fields_are_value_errors_on_the_later_field() {
    let app = TestApp::spawn().await;
    let both = invalid(&app, "/api/activity?timeframe=week&start_date=2026-06-01").await;
    assert_eq!(
        (both.len(), &both[0]["loc"], &both[0]["type"]),
        (1, &json!(["query", "timeframe"]), &json!("value_error"))
    );
    let reversed = invalid(&app, "/api/activity?start_date=2026-06-02&end_date=2026-06-01").await;
    assert_eq!((&reversed[0]["loc"], &reversed[0]["type"]), (&json!(["query", "end_date"]), &json!("value_error")));
    let too_long = invalid(&app, "/api/activity/insights?start_date=2000-01-01&report_date=2026-06-01").await;
    assert_eq!((&too_long[0]["loc"], &too_long[0]["type"]), (&json!(["query", "report_date"]), &json!("value_error")));
}

#[tokio::test]
async fn insights_name_their_end_date_report_date() {
    let app = TestApp::spawn().await;
    assert_eq!(
        invalid(&app, "/api/activity/insights?report_date=2026-13-01&timeframe=fortnight").await,
        vec![
            entry("report_date", "invalid date format", "value_error.date"),
            entry("timeframe", ENUM_MSG, "type_error.enum")
        ]
    );
}

#[tokio::test]
async fn lists_longer_than_a_thousand_entries_are_rejected() {
    let app = TestApp::spawn().await;
    let query: Vec<String> = (0..1001).map(|n| format!("users={n}")).collect();
    assert_eq!(
        invalid(&app, &format!("/api/activity?{}", query.join("&"))).await,
        vec![bound("users", "ensure this value has at most 1000 items", "value_error.list.max_items", 1000)]
    );
    let ok: Vec<String> = (0..1000).map(|n| format!("users={n}")).collect();
    assert_eq!(app.get(&format!("/api/activity/insights?{}", ok.join("&"))).await.0, 200);
}

#[tokio::test]
async fn bad_input_changes_nothing_and_leaks_nothing() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let (status, body) = app.get("/api/activity?actions=%27%3B%20DROP%20TABLE%20activity%3B%20--").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(0)), "verbs are bound, never spliced into SQL");
    assert_eq!(app.get("/api/activity").await.1["total"], 11);
}

#[tokio::test]
async fn boolean_words_follow_pydantic() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    for (word, total) in
        [("true", 11), ("1", 11), ("yes", 11), ("on", 11), ("false", 8), ("0", 8), ("no", 8), ("off", 8)]
    {
        let (status, body) = app.get(&format!("/api/activity?include_internal={word}")).await;
        assert_eq!((status, body["total"].as_i64()), (200, Some(total)), "{word}");
    }
}
