//! IANA time zones: local days begin at the zone's midnights, so a day is 23, 24 or 25 hours long
//! (or 24.5 on Lord Howe, or none at all), on both faces. Every expectation is worked out by hand
//! from the zone's rules; the fixed offset that the zone has in winter is shown beside it where
//! the two disagree.

use serde_json::{Value, json};

use crate::common::*;

/// One action per instant, all by bob.
async fn actions_at(app: &TestApp, instants: &[&str]) {
    add_user(app.db(), BOB, "bob", "Member", false).await;
    for (i, at) in instants.iter().enumerate() {
        let id = i as i64 + 1;
        add_transaction(app.db(), id, at, Some(BOB)).await;
        add_activity(app.db(), id, id, "update", "Datastore").await;
    }
}

/// `[(date, count)]` of a REST insights body, every day of the window.
fn per_day(body: &Value) -> Vec<(String, i64)> {
    days(body).into_iter().map(|(date, user, system)| (date, user + system)).collect()
}

fn expect(days: &[(&str, i64)]) -> Vec<(String, i64)> {
    days.iter().map(|(date, n)| (date.to_string(), *n)).collect()
}

async fn insights(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get(&format!("/api/activity/insights?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

#[tokio::test]
async fn berlin_has_a_day_of_23_hours_in_spring_and_of_25_in_autumn() {
    let app = TestApp::spawn().await;
    actions_at(
        &app,
        &[
            // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); the day is 03-28 23:00 to
            // 03-29 22:00 UTC.
            "2026-03-28 22:30:00", // 23:30 CET on 03-28
            "2026-03-28 23:00:00", // 00:00 CET on 03-29
            "2026-03-29 01:30:00", // 03:30 CEST, just after the skipped hour
            "2026-03-29 21:59:59", // 23:59:59 CEST on 03-29
            "2026-03-29 22:00:00", // 00:00 CEST on 03-30
            // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); the day is 10-24 22:00 to
            // 10-25 23:00 UTC.
            "2026-10-24 21:59:00", // 23:59 CEST on 10-24
            "2026-10-24 22:00:00", // 00:00 CEST on 10-25
            "2026-10-25 00:30:00", // 02:30 CEST, the first time round
            "2026-10-25 01:30:00", // 02:30 CET, the second time round
            "2026-10-25 22:59:00", // 23:59 CET on 10-25
            "2026-10-25 23:00:00", // 00:00 CET on 10-26
        ],
    )
    .await;
    let spring = insights(&app, "time_zone=Europe/Berlin&start_date=2026-03-28&report_date=2026-03-30").await;
    assert_eq!(per_day(&spring), expect(&[("2026-03-28", 1), ("2026-03-29", 3), ("2026-03-30", 1)]));
    // At Berlin's winter offset the 29th would run until 23:00 UTC and take the 30th's action.
    let fixed = insights(&app, "offset=-60&start_date=2026-03-28&report_date=2026-03-30").await;
    assert_eq!(per_day(&fixed), expect(&[("2026-03-28", 1), ("2026-03-29", 4), ("2026-03-30", 0)]));

    let autumn = insights(&app, "time_zone=Europe/Berlin&start_date=2026-10-24&report_date=2026-10-26").await;
    assert_eq!(per_day(&autumn), expect(&[("2026-10-24", 1), ("2026-10-25", 4), ("2026-10-26", 1)]));
    assert_eq!(autumn["total_actions"], 6);

    // The list's window is the same days: the 29th of March is three actions.
    let (_, list) = app.get("/api/activity?time_zone=Europe/Berlin&start_date=2026-03-29&end_date=2026-03-29").await;
    assert_eq!(list["total"], 3);
    let (_, body) = app
        .graphql(
            "{ activityInsights(filter: {timeZone: \"Europe/Berlin\", startDate: \"2026-10-25\", endDate: \"2026-10-25\"}) { totalActions } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["activityInsights"]["totalActions"], 4, "{body}");
}

#[tokio::test]
async fn new_york_moves_its_day_boundaries_in_march_and_november() {
    let app = TestApp::spawn().await;
    actions_at(
        &app,
        &[
            // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC). The 9th starts at 04:00 UTC.
            "2026-03-09 04:30:00", // 00:30 EDT on 03-09 (23:30 on 03-08 at the winter offset 300)
            // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC). The 1st ends at 05:00 UTC on the 2nd.
            "2026-11-02 04:30:00", // 23:30 EST on 11-01 (00:30 on 11-02 at the summer offset 240)
        ],
    )
    .await;
    let march = insights(&app, "time_zone=America/New_York&start_date=2026-03-08&report_date=2026-03-09").await;
    assert_eq!(per_day(&march), expect(&[("2026-03-08", 0), ("2026-03-09", 1)]));
    let march_fixed = insights(&app, "offset=300&start_date=2026-03-08&report_date=2026-03-09").await;
    assert_eq!(per_day(&march_fixed), expect(&[("2026-03-08", 1), ("2026-03-09", 0)]));
    let november = insights(&app, "time_zone=America/New_York&start_date=2026-11-01&report_date=2026-11-02").await;
    assert_eq!(per_day(&november), expect(&[("2026-11-01", 1), ("2026-11-02", 0)]));
    let november_fixed = insights(&app, "offset=240&start_date=2026-11-01&report_date=2026-11-02").await;
    assert_eq!(per_day(&november_fixed), expect(&[("2026-11-01", 0), ("2026-11-02", 1)]));
}

#[tokio::test]
async fn kathmandu_lord_howe_havana_and_apia() {
    let app = TestApp::spawn().await;
    actions_at(
        &app,
        &[
            // Asia/Kathmandu, UTC+05:45 all year: 06-10 starts at 06-09 18:15 UTC.
            "2026-06-09 18:14:00", // 23:59 on 06-09
            "2026-06-09 18:15:00", // 00:00 on 06-10
            // Australia/Lord_Howe: on 2026-04-05 02:00 (+11:00) becomes 01:30 (+10:30), so the 5th
            // runs from 04-04 13:00 to 04-05 13:30 UTC: 24.5 hours.
            "2026-04-05 13:15:00", // 23:45 (+10:30) on 04-05; 00:15 on 04-06 at +11:00
            // America/Havana: on 2026-03-08 midnight becomes 01:00 (UTC-5 to UTC-4): the 8th
            // begins at its first existing instant, 01:00 CDT = 05:00 UTC.
            "2026-03-08 04:59:00", // 23:59 CST on 03-07
            "2026-03-08 05:00:00", // 01:00 CDT on 03-08
            // Pacific/Apia skipped 2011-12-30: 12-29 23:59:59 (UTC-10) was followed by 12-31 00:00
            // (UTC+14), at 12-30 10:00 UTC.
            "2011-12-30 09:00:00", // 23:00 on 12-29
            "2011-12-30 11:00:00", // 01:00 on 12-31
        ],
    )
    .await;
    let kathmandu = insights(&app, "time_zone=Asia/Kathmandu&start_date=2026-06-09&report_date=2026-06-10").await;
    assert_eq!(per_day(&kathmandu), expect(&[("2026-06-09", 1), ("2026-06-10", 1)]));
    let lord_howe = insights(&app, "time_zone=Australia/Lord_Howe&start_date=2026-04-05&report_date=2026-04-06").await;
    assert_eq!(per_day(&lord_howe), expect(&[("2026-04-05", 1), ("2026-04-06", 0)]));
    let havana = insights(&app, "time_zone=America/Havana&start_date=2026-03-07&report_date=2026-03-08").await;
    assert_eq!(per_day(&havana), expect(&[("2026-03-07", 1), ("2026-03-08", 1)]));
    let apia = insights(&app, "time_zone=Pacific/Apia&start_date=2011-12-29&report_date=2011-12-31").await;
    assert_eq!(per_day(&apia), expect(&[("2011-12-29", 1), ("2011-12-30", 0), ("2011-12-31", 1)]));
}

#[tokio::test]
async fn utc_equals_offset_zero_and_bad_zones_are_refused() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let zone = insights(&app, "time_zone=UTC&timeframe=week&report_date=2026-06-10").await;
    let offset = insights(&app, "offset=0&timeframe=week&report_date=2026-06-10").await;
    assert_eq!(zone, offset);
    assert_eq!(zone["total_actions"], 9);

    let (status, body) = app.get("/api/activity/insights?time_zone=Mars/Olympus").await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"],
        json!([{"loc": ["query", "time_zone"], "msg": "unknown time zone", "type": "value_error"}])
    );
    let (status, body) = app.get("/api/activity?time_zone=Europe/Berlin&offset=-60").await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "time_zone"]), "{body}");
    let (_, body) = app.graphql("{ activity(filter: {timeZone: \"Nowhere\"}) { total } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "timeZone", "{body}");
}
