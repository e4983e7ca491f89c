//! `GET /api/activity`: order, paging, filters and the statements a page costs.

use serde_json::{Value, json};

use crate::common::*;

async fn app_with_log() -> TestApp {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    app
}

async fn list(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get(&format!("/api/activity?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The object ids of a page's items (the handmade log sets `object_id = activity id × 100`).
fn activity_ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().expect("items").iter().map(|item| item["object_id"].as_i64().expect("id") / 100).collect()
}

#[tokio::test]
async fn the_list_is_newest_first_with_the_activity_id_breaking_ties() {
    let app = app_with_log().await;
    let body = list(&app, "timeframe=week&end_date=2026-06-10").await;
    // Transactions 4 and 5 share an instant: activity 6 (tx 5) comes before activity 5 (tx 4).
    assert_eq!(activity_ids(&body), vec![8, 7, 11, 6, 5, 4, 3, 2, 1]);
    assert_eq!(
        (body["total"].as_i64(), body["page"].as_i64(), body["size"].as_i64(), body["pages"].as_i64()),
        (Some(9), Some(1), Some(50), Some(1))
    );
}

#[tokio::test]
async fn an_item_has_the_original_apis_shape() {
    let app = app_with_log().await;
    let body = list(&app, "start_date=2026-06-03&end_date=2026-06-03&offset=0").await;
    assert_eq!(
        body,
        json!({
            "items": [{
                "transaction": {
                    "id": 8,
                    "issued_at": "2026-06-03T23:59:59.500Z",
                    "user": {"id": 2, "name": "Bob", "user_name": "bob", "email": "bob@example.com"}
                },
                "verb": "archive",
                "object_type": "Tag",
                "object_id": 1000
            }],
            "total": 1, "page": 1, "size": 50, "pages": 1
        })
    );
    let whole_second = list(&app, "start_date=2026-06-05&end_date=2026-06-05").await;
    assert_eq!(whole_second["items"][0]["transaction"]["issued_at"], "2026-06-05T12:00:00Z");
    assert_eq!(whole_second["items"][0]["transaction"]["user"], Value::Null, "the account no longer exists");
}

#[tokio::test]
async fn pages_split_the_list_and_a_page_past_the_end_is_empty() {
    let app = app_with_log().await;
    let page = |n: i64| format!("timeframe=week&end_date=2026-06-10&size=4&page={n}");
    let first = list(&app, &page(1)).await;
    assert_eq!(activity_ids(&first), vec![8, 7, 11, 6]);
    assert_eq!((first["total"].as_i64(), first["pages"].as_i64()), (Some(9), Some(3)));
    assert_eq!(activity_ids(&list(&app, &page(3)).await), vec![1]);
    let past = list(&app, &page(4)).await;
    assert_eq!(past["items"], json!([]));
    assert_eq!((past["total"].as_i64(), past["page"].as_i64(), past["pages"].as_i64()), (Some(9), Some(4), Some(3)));
}

#[tokio::test]
async fn an_empty_result_has_zero_pages() {
    let app = app_with_log().await;
    let body = list(&app, "start_date=2020-01-01&end_date=2020-12-31").await;
    assert_eq!(body, json!({"items": [], "total": 0, "page": 1, "size": 50, "pages": 0}));
}

#[tokio::test]
async fn without_dates_the_list_covers_all_time_and_open_ends_work() {
    let app = app_with_log().await;
    assert_eq!(list(&app, "").await["total"], 11);
    assert_eq!(list(&app, "start_date=2026-06-09").await["total"], 4, "activities 7, 8, 9, 11");
    assert_eq!(list(&app, "end_date=2026-06-04").await["total"], 4, "activities 1, 2, 3, 10");
}

#[tokio::test]
async fn the_list_drops_internal_users_only_when_asked_and_keeps_deleted_ones() {
    let app = app_with_log().await;
    let body = list(&app, "timeframe=week&end_date=2026-06-10&include_internal=false").await;
    assert_eq!(activity_ids(&body), vec![11, 6, 5, 4, 2, 1]);
}

#[tokio::test]
async fn the_list_filters_by_users_and_verbs() {
    let app = app_with_log().await;
    assert_eq!(activity_ids(&list(&app, "users=3").await), vec![9, 11, 5]);
    assert_eq!(activity_ids(&list(&app, "users=2&users=4&actions=run&actions=archive").await), vec![8, 7, 3, 10]);
    assert_eq!(activity_ids(&list(&app, "actions=nothing").await), Vec::<i64>::new());
}

#[tokio::test]
async fn the_list_windows_honour_the_offset_at_both_ends() {
    let app = app_with_log().await;
    // New York: June 10 local runs 05:00Z June 10 to 05:00Z June 11, taking in June 11 03:00Z.
    assert_eq!(activity_ids(&list(&app, "start_date=2026-06-10&end_date=2026-06-10&offset=300").await), vec![9, 8, 7]);
    assert_eq!(activity_ids(&list(&app, "start_date=2026-06-10&end_date=2026-06-10").await), vec![8, 7]);
    // India: June 10 local starts at 18:30Z June 9, exactly when transaction 9 happened.
    assert_eq!(activity_ids(&list(&app, "start_date=2026-06-10&end_date=2026-06-10&offset=-330").await), vec![11]);
    assert_eq!(
        activity_ids(&list(&app, "start_date=2026-06-09&end_date=2026-06-09&offset=-330").await),
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn a_page_costs_the_same_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let db = app.db();
    for user in 10..110 {
        add_user(db, user, &format!("user{user}"), "Member", false).await;
        add_transaction(db, user, "2026-06-04 09:00:00", Some(user)).await;
        add_activity(db, user, user, "update", "Datastore").await;
    }
    let mut costs = Vec::new();
    for size in [1, 100] {
        let before = app.statements();
        let body = list(&app, &format!("size={size}")).await;
        assert_eq!(body["items"].as_array().map(Vec::len), Some(size));
        costs.push(app.statements() - before);

        let before = app.statements();
        let query = format!(
            "{{ activity(page: {{size: {size}}}) {{ total items {{ transaction {{ user {{ userName }} }} }} }} }}"
        );
        let (status, body) = app.graphql(&query, json!({})).await;
        assert_eq!(status, 200, "{body}");
        costs.push(app.statements() - before);
    }
    // The count (the rollups and the pending deltas in one statement) and the page with its
    // users: for REST and GraphQL alike.
    assert_eq!(costs, vec![2, 2, 2, 2]);
}

#[tokio::test]
async fn graphql_counts_only_when_total_or_pages_is_asked_for() {
    let app = app_with_log().await;
    let cost = |query: &'static str| {
        let app = &app;
        async move {
            let before = app.statements();
            let (status, body) = app.graphql(query, json!({})).await;
            assert_eq!(status, 200, "{body}");
            (app.statements() - before, body)
        }
    };
    let (items_only, body) = cost("{ activity(page: {size: 2}) { items { verb } } }").await;
    assert_eq!(body["data"]["activity"]["items"].as_array().map(Vec::len), Some(2));
    let (with_total, body) = cost("{ activity(page: {size: 2}) { total items { verb } } }").await;
    assert_eq!(body["data"]["activity"]["total"], 11);
    let (with_pages, body) = cost("{ activity(page: {size: 2}) { pages } }").await;
    assert_eq!(body["data"]["activity"]["pages"], 6);
    // The page; the count only when asked for.
    assert_eq!((items_only, with_total, with_pages), (1, 2, 2));
}

#[tokio::test]
async fn facets_count_each_field_under_the_others_on_both_faces() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // The week 06-04 ..= 06-10 with `users=bob&users=carol` and `actions=update`:
    // - users, under actions=update only: 2 bob (2, 6), carol 2 (5, 11); svc has none;
    // - actions, under the users only: bob 1 create, 2 update, 6 update; carol 5 update, 11 update
    //   (9 is 06-11): update 4, create 1;
    // - object types, under both: 2 QualityCheck, 5 Anomaly, 6 Anomaly, 11 Field.
    let (status, body) =
        app.get("/api/activity/facets?timeframe=week&end_date=2026-06-10&users=2&users=3&actions=update").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["users"],
        json!([
            {"user": {"id": 2, "name": "Bob", "user_name": "bob", "email": "bob@example.com"}, "user_id": 2, "count": 2},
            {"user": {"id": 3, "name": "Carol", "user_name": "carol", "email": "carol@example.com"}, "user_id": 3, "count": 2},
        ])
    );
    assert_eq!(body["actions"], json!([{"value": "update", "count": 4}, {"value": "create", "count": 1}]));
    assert_eq!(
        body["object_types"],
        json!([{"value": "Anomaly", "count": 2}, {"value": "Field", "count": 1}, {"value": "QualityCheck", "count": 1}])
    );

    // All time, one entry each: the counts' leaders, ties to the smaller id or value.
    let query = "{ activityFacets(limit: 1) { users { userId count user { userName isInternal } } actions { value count } objectTypes { value count } } }";
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    // Users: bob 4 (1, 2, 6, 10), carol 3, svc 3. Verbs: update 4 (2, 5, 6, 11), run 3. Types:
    // Anomaly, Datastore and QualityCheck have 3 each: the tie goes to the smallest name.
    assert_eq!(
        body["data"]["activityFacets"],
        json!({
            "users": [{"userId": "2", "count": 4, "user": {"userName": "bob", "isInternal": false}}],
            "actions": [{"value": "update", "count": 4}],
            "objectTypes": [{"value": "Anomaly", "count": 3}],
        })
    );
    let (status, body) = app.get("/api/activity/facets?limit=0").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["query", "limit"]));
}
