//! Cursor pages: the list's order, walked forwards and backwards by keyset seeks, steady while
//! rows are written between pages.

use serde_json::{Value, json};

use crate::common::*;

const CONNECTION: &str = "query($filter: ActivityFilter, $first: Int, $after: String, $last: Int, $before: String) {
  activityConnection(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

/// One page: its activity ids, and the connection as returned.
async fn page(app: &TestApp, variables: Value) -> (Vec<i64>, Value) {
    let (status, body) = app.graphql(CONNECTION, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let connection = body["data"]["activityConnection"].clone();
    let ids = connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["id"].as_str().and_then(|id| id.parse().ok()).expect("an id"))
        .collect();
    (ids, connection)
}

/// The handmade log in the list's order (issued_at, then activity id, descending): 9 (06-11 03:00),
/// 8, 7 (06-10 23:30), 11 (06-09 18:30), 6, 5 (06-08 08:00, two transactions at one instant), 4,
/// 3 (06-04 10:00), 2, 1 (one transaction at 06-04 09:00), 10 (06-03 23:59:59.5).
const ORDER: [i64; 11] = [9, 8, 7, 11, 6, 5, 4, 3, 2, 1, 10];

#[tokio::test]
async fn pages_forward_follow_the_lists_order_to_the_end() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let (ids, first) = page(&app, json!({"first": 3})).await;
    assert_eq!(ids, [9, 8, 7]);
    assert_eq!(first["totalCount"], 11);
    assert_eq!(
        (&first["pageInfo"]["hasNextPage"], &first["pageInfo"]["hasPreviousPage"]),
        (&json!(true), &json!(false))
    );
    let mut seen = ids;
    let mut cursor = first["pageInfo"]["endCursor"].clone();
    let mut pages = vec![];
    loop {
        let (ids, connection) = page(&app, json!({"first": 3, "after": cursor})).await;
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], true);
        seen.extend(&ids);
        pages.push(ids);
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        cursor = connection["pageInfo"]["endCursor"].clone();
    }
    // A page boundary splits the transaction of activities 2 and 1, and the two at 06-08 08:00.
    assert_eq!(pages, vec![vec![11, 6, 5], vec![4, 3, 2], vec![1, 10]]);
    assert_eq!(seen, ORDER);
}

#[tokio::test]
async fn pages_backward_from_the_end_give_the_same_order() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let (ids, last) = page(&app, json!({"last": 3})).await;
    assert_eq!(ids, [2, 1, 10]);
    assert_eq!((&last["pageInfo"]["hasNextPage"], &last["pageInfo"]["hasPreviousPage"]), (&json!(false), &json!(true)));
    let mut pages = vec![ids];
    let mut cursor = last["pageInfo"]["startCursor"].clone();
    loop {
        let (ids, connection) = page(&app, json!({"last": 3, "before": cursor})).await;
        assert_eq!(connection["pageInfo"]["hasNextPage"], true);
        pages.insert(0, ids);
        if connection["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        cursor = connection["pageInfo"]["startCursor"].clone();
    }
    // From the end: [2, 1, 10], then the three before 2, and so on up to the newest.
    assert_eq!(pages, vec![vec![9, 8], vec![7, 11, 6], vec![5, 4, 3], vec![2, 1, 10]]);
    assert_eq!(pages.concat(), ORDER);
}

#[tokio::test]
async fn rows_written_between_pages_never_repeat_or_push_rows_out() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let (ids, first) = page(&app, json!({"first": 4})).await;
    assert_eq!(ids, [9, 8, 7, 11]);
    // Five new actions, newer than everything (an offset page would now repeat five rows), and one
    // older than the cursor, which the rest of the walk must then include in its place.
    for id in 30..35 {
        add_transaction(app.db(), id, "2026-06-12 10:00:00", Some(BOB)).await;
        add_activity(app.db(), id, id, "create", "Tag").await;
    }
    add_transaction(app.db(), 40, "2026-06-06 12:00:00", Some(CAROL)).await;
    add_activity(app.db(), 40, 40, "update", "Field").await;
    let (rest, connection) = page(&app, json!({"first": 20, "after": first["pageInfo"]["endCursor"]})).await;
    assert_eq!(rest, [6, 5, 40, 4, 3, 2, 1, 10]);
    assert_eq!(connection["totalCount"], 17);
}

#[tokio::test]
async fn the_filter_scopes_the_pages_and_bad_arguments_name_themselves() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let filter = json!({"users": [BOB], "startDate": "2026-06-04", "endDate": "2026-06-08"});
    let (ids, connection) = page(&app, json!({"filter": filter, "first": 2})).await;
    assert_eq!(ids, [6, 2]);
    assert_eq!(connection["totalCount"], 3);
    let (ids, _) =
        page(&app, json!({"filter": filter, "first": 2, "after": connection["pageInfo"]["endCursor"]})).await;
    assert_eq!(ids, [1]);

    for (variables, field) in [
        (json!({"after": "not-a-cursor"}), "after"),
        (json!({"before": "bm9wZQ"}), "before"),
        (json!({"first": 0}), "first"),
        (json!({"last": 101}), "last"),
        (json!({"first": 1, "last": 1}), "last"),
    ] {
        let (status, body) = app.graphql(CONNECTION, variables.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{variables}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{variables}: {body}");
    }
}

#[tokio::test]
async fn ties_at_one_instant_page_one_by_one_however_the_writer_formatted_the_time() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::spawn().await;
    add_user(app.db(), BOB, "bob", "Member", false).await;
    // As SQLAlchemy writes SQLite timestamps: always six fractional digits.
    app.db()
        .execute_unprepared(
            "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES (1, '2026-06-04 09:00:00.000000', 2), \
             (2, '2026-06-04 09:00:00.000000', 2)",
        )
        .await
        .expect("transactions");
    for (id, transaction) in [(1, 1), (2, 2), (3, 1), (4, 2)] {
        add_activity(app.db(), id, transaction, "create", "Tag").await;
    }
    let mut seen = vec![];
    let mut variables = json!({"first": 1});
    loop {
        let (ids, connection) = page(&app, variables.clone()).await;
        seen.extend(ids);
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        variables = json!({"first": 1, "after": connection["pageInfo"]["endCursor"]});
    }
    assert_eq!(seen, [4, 3, 2, 1]);
}
