//! One response, one state of the log: while writers commit actions (and flip a user's
//! `is_internal`), and the rollup deltas are folded in, every dashboard's list total, cards and
//! chart, and every REST body's figures, agree with each other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};

use crate::common::*;

/// The dashboard with every figure that counts the scope: the list's total, the connection's
/// count, the cards, the daily chart and a chart of other buckets.
const FIGURES: &str = r#"
query Figures($filter: ActivityFilter) {
  activity(filter: $filter, page: { size: 5 }) { total items { id } }
  activityConnection(filter: $filter, first: 5) { totalCount }
  activityInsights(filter: $filter) {
    totalActions
    actionsPerDay { userCount systemCount }
    chart(interval: HOUR) { userCount systemCount }
  }
}"#;

/// The users the writers act as; `FLIPPER`'s `is_internal` is flipped every few transactions.
const WRITERS_USERS: [i64; 3] = [BOB, CAROL, SVC];
const FLIPPER: i64 = CAROL;

/// Writes transactions of one to three activities, now, until `stop`; every fifth transaction
/// of writer 0 flips [`FLIPPER`]'s `is_internal` instead. Returns how many it committed.
async fn write_until(db: DatabaseConnection, writer: i64, stop: Arc<AtomicBool>) -> i64 {
    let mut committed = 0;
    let mut n: i64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let id = 1_000_000 * (writer + 1) + n;
        let user = WRITERS_USERS[(n as usize) % WRITERS_USERS.len()];
        let result = async {
            let tx = db.begin().await?;
            if writer == 0 && n % 5 == 0 {
                tx.execute_unprepared(&format!("UPDATE users SET is_internal = NOT is_internal WHERE id = {FLIPPER}"))
                    .await?;
            } else {
                let at = chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S%.6f");
                tx.execute_unprepared(&format!(
                    "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES ({id}, '{at}', {user})"
                ))
                .await?;
                for k in 0..=(n % 3) {
                    tx.execute_unprepared(&format!(
                        "INSERT INTO activity (id, verb, transaction_id, object_type) \
                         VALUES ({}, 'update', {id}, 'Datastore')",
                        id * 4 + k
                    ))
                    .await?;
                }
            }
            tx.commit().await
        }
        .await;
        // SQLite lets one writer in at a time: a busy database is retried, not a failure.
        if result.is_ok() {
            committed += 1;
        }
    }
    committed
}

fn sum_counts(list: &Value) -> i64 {
    list.as_array()
        .expect("a list of counts")
        .iter()
        .map(|entry| {
            let count =
                |camel: &str, snake: &str| entry.get(camel).or_else(|| entry.get(snake)).and_then(Value::as_i64);
            count("userCount", "user_count").expect("user count")
                + count("systemCount", "system_count").expect("system")
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_response_agrees_with_itself_while_the_log_is_written() {
    let app = Arc::new(TestApp::spawn().await);
    handmade_log(app.db()).await;
    let folding = audit_gateway::compaction::spawn(app.db().clone(), Duration::from_millis(50));

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> =
        (0..2).map(|writer| tokio::spawn(write_until(app.db().clone(), writer, stop.clone()))).collect();

    // Without internal users, so that a flip of `is_internal` moves every figure at once.
    let filter = json!({ "timeframe": "WEEK", "includeInternal": false });
    let checked = Arc::new(AtomicI64::new(0));
    let until = Instant::now() + Duration::from_secs(4);
    let readers: Vec<_> = (0..4)
        .map(|reader| {
            let (app, filter, checked) = (app.clone(), filter.clone(), checked.clone());
            tokio::spawn(async move {
                let mut totals = Vec::new();
                while Instant::now() < until {
                    if reader % 2 == 0 {
                        let (status, body) = app.graphql(FIGURES, json!({ "filter": filter })).await;
                        assert_eq!(status, 200, "{body}");
                        let data = &body["data"];
                        let total = data["activity"]["total"].as_i64().expect("total");
                        let insights = &data["activityInsights"];
                        let figures = [
                            ("activityConnection.totalCount", data["activityConnection"]["totalCount"].as_i64()),
                            ("totalActions", insights["totalActions"].as_i64()),
                            ("sum of actionsPerDay", Some(sum_counts(&insights["actionsPerDay"]))),
                            ("sum of chart(HOUR)", Some(sum_counts(&insights["chart"]))),
                        ];
                        for (name, figure) in figures {
                            assert_eq!(figure, Some(total), "{name} against activity.total in {body}");
                        }
                        totals.push(total);
                    } else {
                        let query = "/api/activity/insights?timeframe=week&include_internal=false&interval=hour";
                        let (status, body) = app.get(query).await;
                        assert_eq!(status, 200, "{body}");
                        let total = body["total_actions"].as_i64().expect("total_actions");
                        assert_eq!(sum_counts(&body["actions_per_day"]), total, "actions_per_day in {body}");
                        assert_eq!(sum_counts(&body["chart"]), total, "chart in {body}");
                        totals.push(total);
                    }
                    checked.fetch_add(1, Ordering::Relaxed);
                }
                totals
            })
        })
        .collect();

    let mut totals = Vec::new();
    for reader in readers {
        totals.extend(reader.await.expect("a reader"));
    }
    stop.store(true, Ordering::Relaxed);
    let mut committed = 0;
    for writer in writers {
        committed += writer.await.expect("a writer");
    }
    folding.abort();

    // The test saw the log move: many responses, many commits, and different totals.
    let checked = checked.load(Ordering::Relaxed);
    eprintln!("consistency: {checked} responses agreed with themselves while {committed} transactions committed");
    assert!(checked >= 20, "only {checked} responses were checked");
    assert!(committed >= 20, "only {committed} transactions were committed");
    totals.sort_unstable();
    totals.dedup();
    assert!(totals.len() >= 5, "the totals barely moved: {totals:?}");
}
