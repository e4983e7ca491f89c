//! Every figure of `GET /api/activity/insights`, pinned on the handmade log (see `common`).

use serde_json::{Value, json};

use crate::common::*;

async fn app_with_log() -> TestApp {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    app
}

async fn insights(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get(&format!("/api/activity/insights?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn sum_of_days(body: &Value) -> i64 {
    days(body).iter().map(|(_, u, s)| u + s).sum()
}

#[tokio::test]
async fn insights_for_a_week_count_every_figure() {
    let app = app_with_log().await;
    let body = insights(&app, "timeframe=week&report_date=2026-06-10").await;
    assert_eq!(
        body,
        json!({
            "unique_actors": 2,
            "total_actions": 9,
            // bob and svc both have 3 actions: the smaller id wins.
            "top_actor": {"id": 2, "name": "Bob", "user_name": "bob", "email": "bob@example.com", "action_count": 3},
            // Anomaly and Datastore both have 3: the smaller name wins.
            "top_entity_type": {"object_type": "Anomaly", "count": 3},
            "actions_per_day": [
                {"date": "2026-06-04", "user_count": 2, "system_count": 1},
                {"date": "2026-06-05", "user_count": 1, "system_count": 0},
                {"date": "2026-06-06", "user_count": 0, "system_count": 0},
                {"date": "2026-06-07", "user_count": 0, "system_count": 0},
                {"date": "2026-06-08", "user_count": 2, "system_count": 0},
                {"date": "2026-06-09", "user_count": 1, "system_count": 0},
                {"date": "2026-06-10", "user_count": 0, "system_count": 2},
            ]
        })
    );
}

#[tokio::test]
async fn insights_without_internal_users_drop_their_actions_but_not_unique_actors() {
    let app = app_with_log().await;
    let body = insights(&app, "timeframe=week&report_date=2026-06-10&include_internal=false").await;
    assert_eq!(body["total_actions"], 6);
    assert_eq!(body["unique_actors"], 2);
    assert_eq!(body["top_actor"]["id"], BOB);
    assert_eq!(body["top_actor"]["action_count"], 3);
    assert_eq!(body["top_entity_type"], json!({"object_type": "Anomaly", "count": 3}));
    assert_eq!(busy_days(&body), vec![day("06-04", 2, 0), day("06-05", 1, 0), day("06-08", 2, 0), day("06-09", 1, 0)]);
    assert_eq!(sum_of_days(&body), 6);
}

#[tokio::test]
async fn insights_let_an_internal_user_be_top_actor_only_when_internal_users_are_included() {
    let app = app_with_log().await;
    // Only `run` actions: all three are svc's (internal).
    let with = insights(&app, "timeframe=week&report_date=2026-06-10&actions=run").await;
    assert_eq!(with["total_actions"], 3);
    assert_eq!(with["unique_actors"], 0, "internal users are never unique actors");
    assert_eq!(with["top_actor"]["user_name"], "svc");
    assert_eq!(with["top_actor"]["action_count"], 3);
    assert_eq!(busy_days(&with), vec![day("06-04", 0, 1), day("06-10", 0, 2)]);

    let without = insights(&app, "timeframe=week&report_date=2026-06-10&actions=run&include_internal=false").await;
    assert_eq!(without["total_actions"], 0);
    assert_eq!(without["top_actor"], Value::Null);
    assert_eq!(without["top_entity_type"], Value::Null);
}

#[tokio::test]
async fn insights_count_actions_without_a_user_as_user_actions_with_no_actor() {
    let app = app_with_log().await;
    // June 5 has only the deleted account's action.
    let body = insights(&app, "start_date=2026-06-05&report_date=2026-06-05").await;
    assert_eq!(body["total_actions"], 1);
    assert_eq!(body["unique_actors"], 0);
    assert_eq!(body["top_actor"], Value::Null);
    assert_eq!(body["top_entity_type"], json!({"object_type": "Anomaly", "count": 1}));
    assert_eq!(days(&body), vec![day("2026-06-05", 1, 0)]);
}

#[tokio::test]
async fn insights_filter_by_users_and_actions() {
    let app = app_with_log().await;
    let carol = insights(&app, "timeframe=week&report_date=2026-06-10&users=3").await;
    assert_eq!((carol["total_actions"].as_i64(), carol["unique_actors"].as_i64()), (Some(2), Some(1)));
    assert_eq!(carol["top_actor"]["user_name"], "carol");
    assert_eq!(busy_days(&carol), vec![day("06-08", 1, 0), day("06-09", 1, 0)]);

    let updates_by_two = insights(&app, "timeframe=week&report_date=2026-06-10&users=2&users=3&actions=update").await;
    // bob: 2 (QualityCheck), 6 (Anomaly); carol: 5 (Anomaly), 11 (Field).
    assert_eq!(updates_by_two["total_actions"], 4);
    assert_eq!(updates_by_two["top_actor"]["user_name"], "bob");
    assert_eq!(updates_by_two["top_entity_type"], json!({"object_type": "Anomaly", "count": 2}));
}

#[tokio::test]
async fn insights_of_an_empty_window_are_zero_filled_with_null_tops() {
    let app = app_with_log().await;
    let body = insights(&app, "timeframe=week&report_date=2026-01-07").await;
    assert_eq!(body["total_actions"], 0);
    assert_eq!(body["unique_actors"], 0);
    assert_eq!(body["top_actor"], Value::Null);
    assert_eq!(body["top_entity_type"], Value::Null);
    assert_eq!(days(&body).len(), 7);
    assert!(days(&body).iter().all(|(_, u, s)| u + s == 0));
}

#[tokio::test]
async fn insights_follow_the_callers_calendar_on_both_sides_of_utc() {
    let app = app_with_log().await;
    let week = |offset: i64| format!("timeframe=week&report_date=2026-06-10&offset={offset}");

    // New York: June 11 03:00Z is June 10 22:00 local; June 3 23:59:59.5Z is June 3.
    let new_york = insights(&app, &week(300)).await;
    assert_eq!(new_york["total_actions"], 10);
    assert_eq!(
        busy_days(&new_york),
        vec![day("06-04", 2, 1), day("06-05", 1, 0), day("06-08", 2, 0), day("06-09", 1, 0), day("06-10", 1, 2)]
    );

    // Berlin: June 3 23:59:59.5Z is June 4 00:59 local; June 10 23:30Z is already June 11.
    let berlin = insights(&app, &week(-60)).await;
    assert_eq!(berlin["total_actions"], 8);
    assert_eq!(
        busy_days(&berlin),
        vec![day("06-04", 3, 1), day("06-05", 1, 0), day("06-08", 2, 0), day("06-09", 1, 0)]
    );

    // India: June 9 18:30:00Z is exactly midnight of June 10 local, so it counts on June 10.
    let india = insights(&app, &week(-330)).await;
    assert_eq!(india["total_actions"], 8);
    assert_eq!(busy_days(&india), vec![day("06-04", 3, 1), day("06-05", 1, 0), day("06-08", 2, 0), day("06-10", 1, 0)]);

    // UTC+14: the window opens June 3 10:00Z; June 4 10:00Z is exactly midnight of June 5 local.
    let kiribati = insights(&app, &week(-840)).await;
    assert_eq!(kiribati["total_actions"], 8);
    assert_eq!(
        busy_days(&kiribati),
        vec![day("06-04", 3, 0), day("06-05", 0, 1), day("06-06", 1, 0), day("06-08", 2, 0), day("06-10", 1, 0)]
    );

    // UTC-14: the window opens June 4 14:00Z, after transactions 1 and 2.
    let baker = insights(&app, &week(840)).await;
    assert_eq!(baker["total_actions"], 7);
    assert_eq!(busy_days(&baker), vec![day("06-04", 1, 0), day("06-07", 2, 0), day("06-09", 1, 0), day("06-10", 1, 2)]);
}

#[tokio::test]
async fn an_action_at_three_utc_belongs_to_the_previous_day_in_new_york() {
    let app = app_with_log().await;
    let utc = insights(&app, "start_date=2026-06-11&report_date=2026-06-11").await;
    assert_eq!(days(&utc), vec![day("2026-06-11", 1, 0)]);
    let new_york = insights(&app, "start_date=2026-06-11&report_date=2026-06-11&offset=300").await;
    assert_eq!(days(&new_york), vec![day("2026-06-11", 0, 0)]);
    let new_york_before = insights(&app, "start_date=2026-06-10&report_date=2026-06-10&offset=300").await;
    assert_eq!(days(&new_york_before), vec![day("2026-06-10", 1, 2)]);
}

#[tokio::test]
async fn insights_windows_clamp_months_and_count_leap_days() {
    let app = app_with_log().await;
    let march = insights(&app, "timeframe=month&report_date=2026-03-30").await;
    let march_days = days(&march);
    assert_eq!(march_days.len(), 30);
    assert_eq!((march_days[0].0.as_str(), march_days[29].0.as_str()), ("2026-03-01", "2026-03-30"));

    let leap_year = insights(&app, "timeframe=year&report_date=2028-02-29").await;
    let leap_days = days(&leap_year);
    assert_eq!(leap_days.len(), 366);
    assert_eq!(leap_days[0].0, "2027-03-01");
    assert!(leap_days.iter().any(|(d, _, _)| d == "2028-02-29"));

    let quarter = insights(&app, "timeframe=quarter&report_date=2026-06-10").await;
    assert_eq!(days(&quarter).len(), 92, "2026-03-11 … 2026-06-10");
    assert_eq!(quarter["total_actions"], 10, "everything but the June 11 action");
}

#[tokio::test]
async fn insights_default_to_a_month_ending_today() {
    let app = app_with_log().await;
    let body = insights(&app, "").await;
    let all = days(&body);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(all.last().map(|d| d.0.clone()), Some(today.to_string()));
    let first = chrono::NaiveDate::parse_from_str(&all[0].0, "%Y-%m-%d").expect("date");
    assert_eq!(first, today - chrono::Months::new(1) + chrono::Days::new(1));
}

#[tokio::test]
async fn the_top_entity_type_tie_goes_to_the_smallest_name_in_byte_order() {
    let app = TestApp::spawn().await;
    let db = app.db();
    add_user(db, BOB, "bob", "Member", false).await;
    add_transaction(db, 1, "2026-06-04 09:00:00", Some(BOB)).await;
    // A locale-aware collation would put "anomaly" first; bytes put "Datastore" (0x44) first.
    add_activity(db, 1, 1, "update", "anomaly").await;
    add_activity(db, 2, 1, "update", "Datastore").await;
    add_activity(db, 3, 1, "update", "Zebra").await;
    let body = insights(&app, "start_date=2026-06-04&report_date=2026-06-04").await;
    assert_eq!(body["top_entity_type"], json!({"object_type": "Datastore", "count": 1}));
}

/// The example week of the original Audit API's documentation, rebuilt row by row: the gateway
/// must answer with exactly the documented figures.
#[tokio::test]
async fn the_documented_example_week_gives_the_documented_answer() {
    let app = TestApp::spawn().await;
    let db = app.db();
    add_user(db, 14, "yannique", "Member", false).await;
    for (i, id) in (20..26).enumerate() {
        add_user(db, id, &format!("user{i}"), "Member", false).await;
    }
    add_user(db, 90, "scheduler", "Member", true).await;
    // Per day: (user actions, system actions), as documented.
    let documented = [
        ("2026-06-04", 18, 4),
        ("2026-06-05", 11, 6),
        ("2026-06-08", 22, 7),
        ("2026-06-09", 25, 8),
        ("2026-06-10", 28, 5),
    ];
    // 48 of the 104 user actions are yannique's; the others spread over six more users.
    let mut yannique_left = 48;
    let (mut tx, mut activity, mut anomalies) = (0, 0, 0);
    for (date, user_actions, system_actions) in documented {
        for n in 0..user_actions + system_actions {
            tx += 1;
            activity += 1;
            let user = if n >= user_actions {
                90
            } else if yannique_left > 0 {
                yannique_left -= 1;
                14
            } else {
                20 + (n % 6)
            };
            add_transaction(db, tx, &format!("{date} {:02}:{:02}:00", 8 + n / 60, n % 60), Some(user)).await;
            let object_type = match anomalies {
                0..62 => "Anomaly",
                _ if activity % 2 == 0 => "QualityCheck",
                _ => "Datastore",
            };
            anomalies += 1;
            add_activity(db, activity, tx, "update", object_type).await;
        }
    }
    let body = insights(&app, "timeframe=week&report_date=2026-06-10&include_internal=true").await;
    assert_eq!(
        body,
        json!({
            "unique_actors": 7,
            "total_actions": 134,
            "top_actor": {"id": 14, "name": "Yannique", "user_name": "yannique", "email": "yannique@example.com", "action_count": 48},
            "top_entity_type": {"object_type": "Anomaly", "count": 62},
            "actions_per_day": [
                { "date": "2026-06-04", "user_count": 18, "system_count": 4 },
                { "date": "2026-06-05", "user_count": 11, "system_count": 6 },
                { "date": "2026-06-06", "user_count": 0,  "system_count": 0 },
                { "date": "2026-06-07", "user_count": 0,  "system_count": 0 },
                { "date": "2026-06-08", "user_count": 22, "system_count": 7 },
                { "date": "2026-06-09", "user_count": 25, "system_count": 8 },
                { "date": "2026-06-10", "user_count": 28, "system_count": 5 }
            ]
        })
    );
}

#[tokio::test]
async fn an_object_types_filter_scopes_every_figure_and_the_list_on_both_faces() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // The week 06-04 ..= 06-10 holds three Anomaly actions: 4 (06-05, a deleted account), 5 (carol)
    // and 6 (bob), both 06-08.
    let (status, body) =
        app.get("/api/activity/insights?timeframe=week&report_date=2026-06-10&object_types=Anomaly").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_actions"], 3);
    assert_eq!(body["unique_actors"], 2);
    // bob and carol have one each: the tie goes to the smaller id.
    assert_eq!((&body["top_actor"]["id"], &body["top_actor"]["action_count"]), (&json!(BOB), &json!(1)));
    assert_eq!(body["top_entity_type"], json!({"object_type": "Anomaly", "count": 3}));
    assert_eq!(busy_days(&body), vec![day("06-05", 1, 0), day("06-08", 2, 0)]);

    // All time, two types: the three Anomalies and 10 (Tag, 06-03).
    let (status, list) = app.get("/api/activity?object_types=Anomaly&object_types=Tag").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 4);
    let objects: Vec<i64> =
        list["items"].as_array().expect("items").iter().map(|i| i["object_id"].as_i64().expect("id") / 100).collect();
    assert_eq!(objects, [6, 5, 4, 10]);

    let query = "{ activityInsights(filter: {timeframe: WEEK, endDate: \"2026-06-10\", objectTypes: [\"Anomaly\"]}) { totalActions } \
                 activity(filter: {objectTypes: [\"Anomaly\", \"Tag\"]}) { total } }";
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], json!({"activityInsights": {"totalActions": 3}, "activity": {"total": 4}}));
}

/// `[(first_day, last_day, user, system)]` of a chart (REST or GraphQL).
fn chart(buckets: &Value) -> Vec<(String, String, i64, i64)> {
    let field =
        |b: &Value, snake: &str, camel: &str| b.get(snake).or_else(|| b.get(camel)).cloned().unwrap_or(Value::Null);
    buckets
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                field(b, "first_day", "firstDay").as_str().expect("first").to_owned(),
                field(b, "last_day", "lastDay").as_str().expect("last").to_owned(),
                field(b, "user_count", "userCount").as_i64().expect("user"),
                field(b, "system_count", "systemCount").as_i64().expect("system"),
            )
        })
        .collect()
}

fn bucket(first: &str, last: &str, user: i64, system: i64) -> (String, String, i64, i64) {
    (first.to_owned(), last.to_owned(), user, system)
}

#[tokio::test]
async fn chart_buckets_follow_the_calendar_and_sum_to_the_total() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let week = "timeframe=week&report_date=2026-06-10";
    // 06-04 (Thursday): bob 1, 2 and svc 3; 06-05: 4 (deleted account); 06-08: 5, 6; 06-09: 11;
    // 06-10: svc 7, 8.
    let (_, body) = app.get(&format!("/api/activity/insights?{week}&interval=week")).await;
    assert_eq!(
        chart(&body["chart"]),
        [bucket("2026-06-04", "2026-06-07", 3, 1), bucket("2026-06-08", "2026-06-10", 3, 2)]
    );
    let (_, body) = app.get(&format!("/api/activity/insights?{week}&interval=week&week_starts_on=wednesday")).await;
    assert_eq!(
        chart(&body["chart"]),
        [bucket("2026-06-04", "2026-06-09", 6, 1), bucket("2026-06-10", "2026-06-10", 0, 2)]
    );
    let (_, body) = app.get(&format!("/api/activity/insights?{week}&interval=week&week_starts_on=thursday")).await;
    assert_eq!(chart(&body["chart"]), [bucket("2026-06-04", "2026-06-10", 6, 3)]);
    // Without `interval` the body is the original one.
    let (_, body) = app.get(&format!("/api/activity/insights?{week}")).await;
    assert!(body.get("chart").is_none(), "{body}");

    // Months and quarters, clipped: all of June's ten actions (10 at 06-03 23:59:59.5 included).
    let (_, body) = app.get("/api/activity/insights?start_date=2026-05-28&report_date=2026-06-10&interval=month").await;
    assert_eq!(
        chart(&body["chart"]),
        [bucket("2026-05-28", "2026-05-31", 0, 0), bucket("2026-06-01", "2026-06-10", 7, 3)]
    );
    let (_, body) =
        app.get("/api/activity/insights?start_date=2026-03-15&report_date=2026-06-10&interval=quarter").await;
    assert_eq!(
        chart(&body["chart"]),
        [bucket("2026-03-15", "2026-03-31", 0, 0), bucket("2026-04-01", "2026-06-10", 7, 3)]
    );
    assert_eq!(body["total_actions"], 10);

    // Hours of 06-04: bob's two actions at 09:00, svc's at 10:00; 24 buckets.
    let query = "{ activityInsights(filter: {startDate: \"2026-06-04\", endDate: \"2026-06-04\"}) { totalActions \
                 chart(interval: HOUR) { start end userCount systemCount } } }";
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let hours = body["data"]["activityInsights"]["chart"].as_array().expect("hours");
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours[9],
        json!({"start": "2026-06-04T09:00:00Z", "end": "2026-06-04T10:00:00Z", "userCount": 2, "systemCount": 0})
    );
    assert_eq!((&hours[10]["userCount"], &hours[10]["systemCount"]), (&json!(0), &json!(1)));
    let sum: i64 =
        hours.iter().map(|h| h["userCount"].as_i64().unwrap_or(0) + h["systemCount"].as_i64().unwrap_or(0)).sum();
    assert_eq!(sum, 3);

    // Hours only for short windows; bad values name their parameter.
    let (status, body) = app.get("/api/activity/insights?timeframe=quarter&interval=hour").await;
    assert_eq!((status, &body["detail"][0]["loc"]), (422, &json!(["query", "interval"])), "{body}");
    let (status, body) = app.get("/api/activity/insights?interval=fortnight&week_starts_on=someday").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"].as_array().map(Vec::len), Some(2), "{body}");
}

#[tokio::test]
async fn chart_buckets_in_a_zone_straddle_its_daylight_saving_change() {
    let app = TestApp::spawn().await;
    add_user(app.db(), BOB, "bob", "Member", false).await;
    // Berlin, 2026-03-29: 23 hours, from 03-28 23:00 to 03-29 22:00 UTC.
    for (id, at) in [(1, "2026-03-28 23:30:00"), (2, "2026-03-29 01:30:00"), (3, "2026-03-29 21:30:00")] {
        add_transaction(app.db(), id, at, Some(BOB)).await;
        add_activity(app.db(), id, id, "update", "Datastore").await;
    }
    let filter = "filter: {timeZone: \"Europe/Berlin\", startDate: \"2026-03-29\", endDate: \"2026-03-29\"}";
    let query =
        format!("{{ activityInsights({filter}) {{ totalActions chart(interval: HOUR) {{ start end userCount }} }} }}");
    let (status, body) = app.graphql(&query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let hours = body["data"]["activityInsights"]["chart"].as_array().expect("hours");
    assert_eq!(hours.len(), 23, "a 23-hour day has 23 hours");
    assert_eq!(hours[0]["start"], "2026-03-28T23:00:00Z");
    assert_eq!(hours[22]["end"], "2026-03-29T22:00:00Z");
    let busy: Vec<usize> = hours.iter().enumerate().filter(|(_, h)| h["userCount"] != 0).map(|(i, _)| i).collect();
    // 00:30 CET is the first hour; 03:30 CEST the third (02:00 never happened); 23:30 CEST the last.
    assert_eq!(busy, [0, 2, 22]);
    // A week bucket holding the change spans 7 days of 6 × 24 + 23 hours.
    let query = "{ activityInsights(filter: {timeZone: \"Europe/Berlin\", startDate: \"2026-03-23\", endDate: \"2026-03-29\"}) \
                 { totalActions chart(interval: WEEK) { start end firstDay lastDay userCount } } }";
    let (_, body) = app.graphql(query, json!({})).await;
    assert_eq!(
        body["data"]["activityInsights"]["chart"],
        json!([{"start": "2026-03-22T23:00:00Z", "end": "2026-03-29T22:00:00Z", "firstDay": "2026-03-23", "lastDay": "2026-03-29", "userCount": 3}])
    );
}
