//! `GET /api/activity/export`: the list's rows, every column, CSV and NDJSON, as of the start,
//! streamed, and stopped when the client goes away.

use std::time::Duration;

use audit_gateway::seed::SeedConfig;
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::common::*;

const HEADER: [&str; 13] = [
    "activity_id",
    "issued_at",
    "local_time",
    "user_id",
    "user_name",
    "name",
    "email",
    "is_internal",
    "verb",
    "object_type",
    "object_id",
    "transaction_id",
    "remote_addr",
];

async fn export(app: &TestApp, query: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/api/activity/export?{query}", app.address))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request")
}

/// The CSV's header and records.
fn records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows = reader.records().map(|row| row.expect("a record").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn column<'r>(row: &'r [String], name: &str) -> &'r str {
    let index = HEADER.iter().position(|column| *column == name).expect("a column");
    &row[index]
}

#[tokio::test]
async fn a_csv_export_has_the_lists_rows_in_its_order_with_every_column_in_a_zone() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    app.db()
        .execute_unprepared("UPDATE \"transaction\" SET remote_addr = '10.0.0.7' WHERE id = 7")
        .await
        .expect("an address");
    let query = "start_date=2026-06-04&end_date=2026-06-30&time_zone=Europe/Berlin";
    let response = export(&app, query).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().expect("text").to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(header("content-disposition"), "attachment; filename=\"activity-2026-06-04-2026-06-30.csv\"");
    let text = response.text().await.expect("body");
    assert!(text.ends_with("\r\n"), "RFC 4180 lines end with CRLF");
    let (columns, rows) = records(&text);
    assert_eq!(columns, HEADER);

    // Berlin's 2026-06-04 starts at 2026-06-03 22:00 UTC, so activity 10 (23:59:59.5 UTC) is in.
    let ids: Vec<&str> = rows.iter().map(|row| column(row, "activity_id")).collect();
    assert_eq!(ids, ["9", "8", "7", "11", "6", "5", "4", "3", "2", "1", "10"]);
    let (_, list) = app.get(&format!("/api/activity?{query}&size=100")).await;
    // The list's items carry their object id, which the handmade log makes 100 × the activity id.
    let listed: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| (item["object_id"].as_i64().expect("an object id") / 100).to_string())
        .collect();
    assert_eq!(ids, listed, "the list's order");

    let row = |id: &str| rows.iter().find(|row| column(row, "activity_id") == id).expect("the row");
    // Carol's create, with an address: every column, by hand.
    assert_eq!(
        row("9").as_slice(),
        [
            "9",
            "2026-06-11T03:00:00Z",
            "2026-06-11T05:00:00+02:00",
            "3",
            "carol",
            "Carol",
            "carol@example.com",
            "false",
            "create",
            "QualityCheck",
            "900",
            "7",
            "10.0.0.7"
        ]
    );
    // Half a second before midnight UTC, half a second before 2 in Berlin.
    assert_eq!(column(row("10"), "issued_at"), "2026-06-03T23:59:59.500Z");
    assert_eq!(column(row("10"), "local_time"), "2026-06-04T01:59:59.500+02:00");
    // The internal account, and an action whose user is gone.
    assert_eq!(column(row("3"), "is_internal"), "true");
    assert_eq!(
        [column(row("4"), "user_id"), column(row("4"), "user_name"), column(row("4"), "is_internal")],
        ["", "", ""]
    );
}

#[tokio::test]
async fn an_ndjson_export_has_the_same_rows_typed_at_an_offset() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // offset=300: five hours behind UTC (getTimezoneOffset()'s sign).
    let response = export(&app, "format=ndjson&offset=300&include_internal=false&actions=update").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"activity-all.ndjson\"");
    let text = response.text().await.expect("body");
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    let ids: Vec<i64> = lines.iter().map(|line| line["activity_id"].as_i64().expect("an id")).collect();
    assert_eq!(ids, [11, 6, 5, 2]);
    let first = &lines[0];
    assert_eq!(first["issued_at"], "2026-06-09T18:30:00Z");
    assert_eq!(first["local_time"], "2026-06-09T13:30:00-05:00");
    assert_eq!(first["user_id"], 3);
    assert_eq!(first["is_internal"], false);
    assert_eq!(first["object_id"], 1100);
    assert_eq!(first["remote_addr"], Value::Null);
    assert_eq!(first.as_object().map(|fields| fields.len()), Some(HEADER.len()));
}

#[tokio::test]
async fn cells_a_spreadsheet_would_run_are_exported_as_text() {
    let app = TestApp::spawn().await;
    add_user(app.db(), 7, "=HYPERLINK(\"http://x\")", "Member", false).await;
    add_transaction(app.db(), 1, "2026-06-04 09:00:00", Some(7)).await;
    add_activity(app.db(), 1, 1, "+cmd", "@SUM(A1)").await;
    let text = export(&app, "").await.text().await.expect("body");
    let (_, rows) = records(&text);
    assert_eq!(column(&rows[0], "user_name"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(column(&rows[0], "verb"), "'+cmd");
    assert_eq!(column(&rows[0], "object_type"), "'@SUM(A1)");
}

#[tokio::test]
async fn bad_parameters_are_422s_naming_them_and_a_missing_token_is_401() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/activity/export?format=xlsx&size=x").await;
    assert_eq!(status, 422, "{body}");
    let named: Vec<&str> =
        body["detail"].as_array().expect("detail").iter().filter_map(|e| e["loc"][1].as_str()).collect();
    assert_eq!(named, ["format"], "the export has no page: `size` is not its parameter");
    let (status, _) = app.get("/api/activity/export?start_date=2026-13-01").await;
    assert_eq!(status, 422);
    let (status, _) = app.get_as("/api/activity/export", None).await;
    assert_eq!(status, 401);
    assert_eq!(app.statements(), 0, "nothing read for a refused export");
}

fn seeded(actions: u64) -> SeedConfig {
    SeedConfig {
        users: 20,
        actions,
        days: 60,
        seed: 5,
        end_date: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        not_after: None,
    }
}

#[tokio::test]
async fn an_export_crosses_chunks_once_each_and_leaves_out_rows_written_after_it_began() {
    let app = TestApp::spawn_seeded(&seeded(5_000)).await;
    let (_, list) = app.get("/api/activity?size=1").await;
    let total = list["total"].as_i64().expect("a total");
    let response = export(&app, "format=ndjson").await;
    assert_eq!(response.status(), 200);
    // The export has begun (the headers are here): a row written now, even one older than every
    // other (it would be last in the order), is not part of it.
    app.db()
        .execute_unprepared(
            "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES (900001, '1999-01-01 00:00:00', 1); \
             INSERT INTO activity (id, verb, transaction_id, object_type) VALUES (900001, 'late', 900001, 'Tag')",
        )
        .await
        .expect("a late row");
    let text = response.text().await.expect("body");
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert!(lines.len() > usize::try_from(audit_gateway::audit::CHUNK_ROWS).expect("size"), "more than one chunk");
    assert_eq!(i64::try_from(lines.len()).expect("count"), total, "every row of the list, once");
    let mut ids: Vec<i64> = lines.iter().map(|line| line["activity_id"].as_i64().expect("an id")).collect();
    let instants: Vec<&str> = lines.iter().map(|line| line["issued_at"].as_str().expect("an instant")).collect();
    assert!(instants.windows(2).all(|pair| pair[0] >= pair[1]), "newest first");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(i64::try_from(ids.len()).expect("count"), total, "no row twice");
    assert!(!ids.contains(&900001), "the late row is left out");
}

#[tokio::test]
async fn a_client_that_goes_away_stops_the_export() {
    let app = TestApp::spawn_seeded(&seeded(80_000)).await;
    let before = app.statements();
    let mut response = export(&app, "").await;
    let mut received = 0;
    while received < 1 << 20 {
        received += response.chunk().await.expect("a chunk").expect("more").len();
    }
    drop(response);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped = app.statements();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.statements(), stopped, "no statement after the client went away");
    // 80,000 rows are 40 chunks; socket buffers hold a few more megabytes than were read.
    let chunks = stopped - before - 1;
    assert!(chunks < 30, "{chunks} chunks read for a client that took 1 MB");
}
