//! Retention: removing the oldest days takes exactly the transactions issued before the local
//! midnight it names, with their activities, batch by batch, and leaves every figure equal to the
//! plain path's (folded and pending alike), during the run and after it.

use audit_gateway::audit::{self, Method, PageRequest, Total};
use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe, parse_time_zone};
use audit_gateway::retention::{self, Policy, Removed};
use audit_gateway::seed::{self, SeedConfig};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::collections::HashSet;

use entity::{activity, transaction};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

use crate::common::*;

/// Folds the pending deltas; how many there were.
async fn compact(db: &DatabaseConnection) -> u64 {
    audit_gateway::compaction::fold(db).await.expect("compact")
}

/// The windows every comparison reads: each side of the cutoff and across it, by day and by
/// month, in the zone that counts the days and in two others.
fn filters(now: chrono::DateTime<Utc>) -> Vec<(Filter, Filter)> {
    let mut filters = Vec::new();
    for zone in ["America/New_York", "Europe/Berlin", "UTC"] {
        let windows: [(Option<NaiveDate>, NaiveDate, Option<Timeframe>); 4] = [
            (None, date(2026, 4, 10), Some(Timeframe::Year)),
            (Some(date(2026, 3, 1)), date(2026, 3, 15), None),
            (Some(date(2026, 2, 20)), date(2026, 3, 7), None),
            (None, date(2026, 3, 31), Some(Timeframe::Month)),
        ];
        for (start_date, end_date, timeframe) in windows {
            let input = FilterInput {
                start_date,
                end_date: Some(end_date),
                timeframe,
                time_zone: parse_time_zone(zone),
                include_internal: Some(true),
                ..FilterInput::default()
            };
            let insights = Filter::parse(input.clone(), Purpose::Insights, now).expect("insights filter");
            let list = Filter::parse(input, Purpose::List, now).expect("list filter");
            filters.push((insights, list));
        }
    }
    filters
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("date")
}

/// Every figure the rollups give equals the plain path's, each pair read in one snapshot.
async fn assert_figures_exact(db: &DatabaseConnection, now: chrono::DateTime<Utc>, context: &str) {
    for (insights, list) in filters(now) {
        let (fast, plain) = read(db, async |db| {
            let fast = audit::insights_using(db, &insights, Method::Fastest).await.expect("fast insights");
            let plain = audit::insights_using(db, &insights, Method::LogOnly).await.expect("plain insights");
            (fast, plain)
        })
        .await;
        assert_eq!(fast, plain, "{context}: insights for {insights:?}");
        let (fast, plain) = read(db, async |db| {
            let page = PageRequest { page: 3, size: 25 };
            let fast = audit::list_using(db, &list, page, Total::Count, Method::Fastest).await.expect("fast page");
            let plain = audit::list_using(db, &list, page, Total::Count, Method::LogOnly).await.expect("plain page");
            (fast, plain)
        })
        .await;
        assert_eq!(fast, plain, "{context}: page for {list:?}");
    }
}

/// Transactions and activities issued before `cutoff`, and after it, counted from the rows.
async fn counts(db: &DatabaseConnection, cutoff: NaiveDateTime) -> (Removed, Removed) {
    let transactions = transaction::Entity::find().all(db).await.expect("transactions");
    let activities = activity::Entity::find().all(db).await.expect("activities");
    let old: HashSet<i64> = transactions.iter().filter(|t| t.issued_at < cutoff).map(|t| t.id).collect();
    let old_activities = activities.iter().filter(|a| old.contains(&a.transaction_id)).count();
    let count = |n: usize| i64::try_from(n).expect("count");
    (
        Removed { transactions: count(old.len()), activities: count(old_activities) },
        Removed {
            transactions: count(transactions.len() - old.len()),
            activities: count(activities.len() - old_activities),
        },
    )
}

#[tokio::test]
async fn retention_removes_exactly_the_days_before_the_cutoff_and_every_figure_stays_exact() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    // Two months of activity up to 2026-04-12, across New York's and Berlin's spring-forward days
    // (03-08, 03-29) and February's and March's ends; folded.
    let config =
        SeedConfig { users: 12, actions: 4_000, days: 60, seed: 26, end_date: date(2026, 4, 12), not_after: None };
    seed::seed(db, &config, |_| {}).await.expect("seed");
    compact(db).await;

    // Days counted in New York, 33 kept before 2026-04-10: the first kept is 03-08, the day of 23
    // hours, whose midnight is still EST (UTC-5): 05:00 UTC.
    let now = Utc.with_ymd_and_hms(2026, 4, 10, 16, 0, 0).single().expect("now");
    let policy = Policy { keep_days: 33, zone: chrono_tz::America::New_York };
    let cutoff = policy.cutoff(now);
    assert_eq!(cutoff, utc("2026-03-08 05:00:00"));
    // Left pending: the last microsecond before the cutoff and the cutoff itself, and one
    // transaction of more activities than one statement removes.
    add_transaction(db, 900_001, "2026-03-08 04:59:59.999999", Some(2)).await;
    add_activity(db, 900_001, 900_001, "create", "Datastore").await;
    add_transaction(db, 900_002, "2026-03-08 05:00:00", Some(3)).await;
    add_activity(db, 900_002, 900_002, "delete", "Anomaly").await;
    add_transaction(db, 900_003, "2026-02-28 23:00:00", None).await;
    let big = retention::ACTIVITIES_PER_STATEMENT + 3;
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {big}) \
         INSERT INTO activity (verb, transaction_id, object_type) SELECT 'import', 900003, 'Datastore' FROM n"
    ))
    .await
    .expect("a large transaction");
    // And a transaction with no activity at all, which goes too.
    add_transaction(db, 900_004, "2026-02-14 12:00:00", Some(4)).await;

    let (old, kept) = counts(db, cutoff).await;
    assert!(old.transactions > retention::TRANSACTIONS_PER_BATCH, "several batches: {old:?}");
    assert!(old.activities > big && kept.activities > 1_000, "{old:?} {kept:?}");
    assert_eq!(retention::count(db, cutoff).await.expect("dry run"), old, "the dry run counts what goes");
    assert_figures_exact(db, now, "before").await;
    let deltas_before: i64 = scalar(db, "SELECT COUNT(*) FROM audit_rollup_delta").await;
    assert!(deltas_before > 0, "the run starts with pending deltas");

    // Between its batches, every figure agrees.
    let mut batches = 0;
    let removed = retention::remove_reporting(db, cutoff, async |so_far| {
        batches += 1;
        assert_figures_exact(db, now, &format!("after batch {batches}, {so_far:?}")).await;
    })
    .await
    .expect("retention");
    assert!(batches >= 3, "{batches} batches");
    assert_eq!(removed, old, "it removed what was issued before the cutoff");
    assert_eq!(counts(db, cutoff).await, (Removed::default(), kept), "and nothing after it");
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM \"transaction\" WHERE id = 900002").await,
        1,
        "the cutoff itself is kept"
    );
    assert_figures_exact(db, now, "after, pending").await;
    assert!(compact(db).await > 0);
    assert_figures_exact(db, now, "after, folded").await;
    // The days before the cutoff count nothing now; the days after count what they did.
    let before_cutoff = Filter::parse(
        FilterInput {
            start_date: Some(date(2026, 2, 1)),
            end_date: Some(date(2026, 3, 7)),
            time_zone: parse_time_zone("America/New_York"),
            include_internal: Some(true),
            ..FilterInput::default()
        },
        Purpose::Insights,
        now,
    )
    .expect("filter");
    let insights =
        read(db, async |db| audit::insights_using(db, &before_cutoff, Method::Fastest).await).await.expect("insights");
    assert_eq!(insights.total_actions, 0);
    assert!(insights.actions_per_day.iter().all(|day| day.user_count + day.system_count == 0));

    // A second run finds nothing.
    assert_eq!(retention::remove(db, cutoff).await.expect("again"), Removed::default());
}
