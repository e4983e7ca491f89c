//! The GraphQL face: the dashboard in one request, camelCase shapes, `BAD_USER_INPUT` errors.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::common::*;

async fn dashboard(app: &TestApp, filter: Value) -> Value {
    let (status, body) = app.graphql(DASHBOARD, json!({ "filter": filter, "page": {"size": 3} })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn one_request_with_one_filter_returns_cards_chart_and_first_page_consistently() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let data = dashboard(&app, json!({"timeframe": "WEEK", "endDate": "2026-06-10", "offset": 300})).await;
    let insights = &data["activityInsights"];
    let page = &data["activity"];
    assert_eq!(insights["totalActions"], page["total"], "cards and list agree");
    assert_eq!(insights["totalActions"], 10);
    assert_eq!(insights["uniqueActors"], 2);
    assert_eq!(
        insights["topActor"],
        json!({"id": "2", "name": "Bob", "userName": "bob", "email": "bob@example.com", "actionCount": 3})
    );
    assert_eq!(insights["topEntityType"], json!({"objectType": "Anomaly", "count": 3}));
    assert_eq!(
        busy_days(insights),
        vec![day("06-04", 2, 1), day("06-05", 1, 0), day("06-08", 2, 0), day("06-09", 1, 0), day("06-10", 1, 2)]
    );
    assert_eq!((page["page"].as_i64(), page["size"].as_i64(), page["pages"].as_i64()), (Some(1), Some(3), Some(4)));
    assert_eq!(
        page["items"][0],
        json!({
            "id": "9", "verb": "create", "objectType": "QualityCheck", "objectId": "900",
            "transaction": {"id": "7", "issuedAt": "2026-06-11T03:00:00Z",
                            "user": {"id": "3", "name": "Carol", "userName": "carol", "email": "carol@example.com"}}
        })
    );
}

#[tokio::test]
async fn empty_user_and_action_lists_mean_no_filter() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let unfiltered = dashboard(&app, json!({"timeframe": "WEEK", "endDate": "2026-06-10"})).await;
    let empty =
        dashboard(&app, json!({"timeframe": "WEEK", "endDate": "2026-06-10", "users": [], "actions": []})).await;
    assert_eq!(unfiltered, empty);
    assert_eq!(empty["activity"]["total"], 9);
}

#[tokio::test]
async fn deleted_users_show_as_null_and_internal_users_can_be_left_out() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let data = dashboard(&app, json!({"startDate": "2026-06-05", "endDate": "2026-06-05"})).await;
    assert_eq!(data["activity"]["items"][0]["transaction"]["user"], Value::Null);
    assert_eq!(data["activityInsights"]["topActor"], Value::Null);
    let data = dashboard(&app, json!({"timeframe": "WEEK", "endDate": "2026-06-10", "includeInternal": false})).await;
    assert_eq!(data["activityInsights"]["totalActions"], 6);
    assert_eq!(data["activity"]["total"], 6);
}

async fn bad_input(app: &TestApp, query: &str, variables: Value) -> Value {
    let (status, body) = app.graphql(query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    body["errors"][0].clone()
}

#[tokio::test]
async fn bad_input_is_a_bad_user_input_error_naming_the_field() {
    let app = TestApp::spawn().await;
    let list = "query($filter: ActivityFilter, $page: PageInput) { activity(filter: $filter, page: $page) { total } }";
    let offset = bad_input(&app, list, json!({"filter": {"offset": 900}})).await;
    assert_eq!(offset["extensions"]["field"], "offset");
    assert_eq!(offset["message"], "offset: ensure this value is less than or equal to 840");

    let both = bad_input(
        &app,
        list,
        json!({"filter": {"timeframe": "WEEK", "startDate": "2026-06-01"}, "page": {"size": 101}}),
    )
    .await;
    assert_eq!(both["extensions"]["fields"], json!(["timeframe", "size"]));

    let reversed = bad_input(&app, list, json!({"filter": {"startDate": "2026-06-02", "endDate": "2026-06-01"}})).await;
    assert_eq!(reversed["extensions"]["field"], "endDate");

    let date = bad_input(&app, list, json!({"filter": {"startDate": "2026-02-30"}})).await;
    assert!(
        date["message"].as_str().is_some_and(|m| m.contains("startDate") && m.contains("invalid date format")),
        "{date}"
    );

    let timeframe = bad_input(&app, list, json!({"filter": {"timeframe": "CENTURY"}})).await;
    assert!(timeframe["message"].as_str().is_some_and(|m| m.contains("timeframe")), "{timeframe}");

    let insights = "query($filter: ActivityFilter) { activityInsights(filter: $filter) { totalActions } }";
    let long = bad_input(&app, insights, json!({"filter": {"startDate": "2000-01-01", "endDate": "2026-01-01"}})).await;
    assert_eq!(long["extensions"]["field"], "endDate");
}

#[tokio::test]
async fn the_dashboard_costs_at_most_five_statements() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let before = app.statements();
    dashboard(&app, json!({"timeframe": "WEEK", "endDate": "2026-06-10"})).await;
    // One look for pending rollup deltas (the insights'), insights, count (which reads the deltas
    // itself), the page with its users, and at most one more for the top actor.
    let cost = app.statements() - before;
    assert!((4..=5).contains(&cost), "{cost} statements");
}

#[tokio::test]
async fn an_absent_filter_means_the_schema_defaults() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let absent = app.graphql("{ activity { total } }", json!({})).await.1;
    let empty = app.graphql("{ activity(filter: {}) { total } }", json!({})).await.1;
    assert_eq!(absent["data"]["activity"]["total"], 11, "internal users are included by default");
    assert_eq!(absent, empty);
}

#[tokio::test]
async fn a_resolver_that_fails_inside_the_gateway_answers_a_generic_internal_error() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // A table the insights read is gone: the gateway's fault, not the client's.
    app.db().execute_unprepared("DROP TABLE audit_rollup_total").await.expect("drop");
    let (status, body) = app.graphql("{ activityInsights { totalActions } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(body["errors"][0]["message"], "Internal server error", "{body}");
    assert!(!body.to_string().contains("audit_rollup"), "{body}");
}

#[tokio::test]
async fn activities_show_their_payload_address_and_whether_the_user_is_internal() {
    use entity::{activity, transaction};
    use sea_orm::{ActiveModelTrait, Set};

    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    transaction::ActiveModel {
        id: Set(20),
        issued_at: Set(utc("2026-06-09 12:00:00")),
        user_id: Set(Some(SVC)),
        remote_addr: Set(Some("10.1.2.3".to_owned())),
    }
    .insert(app.db())
    .await
    .expect("transaction");
    let payload = json!({"before": {"status": "draft"}, "after": {"status": "active"}, "ids": [1, 2]});
    activity::ActiveModel {
        id: Set(20),
        verb: Set("activate".to_owned()),
        transaction_id: Set(20),
        object_type: Set("Datastore".to_owned()),
        object_id: Set(Some(7)),
        data: Set(Some(payload.clone())),
        object_tx_id: Set(None),
        target_type: Set(None),
        target_id: Set(None),
        target_tx_id: Set(None),
    }
    .insert(app.db())
    .await
    .expect("activity");

    let query = "{ activity(filter: {startDate: \"2026-06-09\", endDate: \"2026-06-09\"}) { items { id data \
                 transaction { remoteAddr user { userName isInternal } } } } }";
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let items = body["data"]["activity"]["items"].as_array().expect("items");
    // 06-09: activity 20 at 12:00 (svc, with a payload) and 11 at 18:30 (carol, without one).
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(items[0]["id"], "11");
    assert_eq!(items[0]["data"], Value::Null);
    assert_eq!(
        items[0]["transaction"],
        json!({"remoteAddr": null, "user": {"userName": "carol", "isInternal": false}})
    );
    assert_eq!(items[1]["id"], "20");
    assert_eq!(items[1]["data"], payload);
    assert_eq!(
        items[1]["transaction"],
        json!({"remoteAddr": "10.1.2.3", "user": {"userName": "svc", "isInternal": true}})
    );
}
