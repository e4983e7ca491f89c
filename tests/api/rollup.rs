//! The rollups against the reference: every figure, total and page that the fast path gives
//! equals what the plain aggregate over the raw tables gives, on a generated log that reached the
//! rollups every way it can (backfill after a bulk load, triggers on appended rows, and changes
//! after the fact), for many generated filters.

use audit_gateway::audit::{self, Method, PageRequest, Total, rollup};
use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
use audit_gateway::seed::{self, SeedConfig};
use chrono::{NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::common::*;

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A log that exercises every way rows reach the rollups.
async fn generated_log(db: &DatabaseConnection) {
    // An empty log: bulk load, then the rollups are rebuilt from it.
    let first = SeedConfig {
        users: 15,
        actions: 2_500,
        days: 75,
        seed: 11,
        end_date: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
        not_after: None,
    };
    seed::seed(db, &first, |_| {}).await.expect("first seed");
    // Appended rows go through the triggers (multi-row INSERT on SQLite, COPY on PostgreSQL).
    let second = SeedConfig { users: 6, actions: 1_500, days: 40, seed: 12, ..first };
    seed::seed(db, &second, |_| {}).await.expect("second seed");
    // Folded into the rollup tables; what follows stays pending deltas until the comparison
    // folds it halfway through.
    assert!(compact(db).await > 0, "the appended rows left deltas");

    // Single-row writes at the edges: the last instant before a UTC midnight and the midnight itself,
    // a leap day, and a transaction with no user.
    add_transaction(db, 900_001, "2026-02-28 23:59:59.999999", Some(2)).await;
    add_activity(db, 900_001, 900_001, "create", "Datastore").await;
    add_transaction(db, 900_002, "2026-03-01 00:00:00", None).await;
    add_activity(db, 900_002, 900_002, "delete", "Anomaly").await;
    add_transaction(db, 900_003, "2024-02-29 12:00:00", Some(3)).await;
    add_activity(db, 900_003, 900_003, "update", "Anomaly").await;

    // Changes after the fact.
    execute(db, "UPDATE users SET is_internal = TRUE WHERE id = 5").await;
    execute(db, "UPDATE users SET is_internal = FALSE WHERE id IN (SELECT id FROM users WHERE is_internal AND id > 5)")
        .await;
    execute(db, "UPDATE users SET is_internal = TRUE WHERE id = 17").await;
    execute(db, "DELETE FROM api_token WHERE user_id IN (7, 17)").await;
    execute(db, "DELETE FROM users WHERE id IN (7, 17)").await;
    // A retention job: everything issued before 2026-01-20.
    execute(
        db,
        "DELETE FROM activity WHERE transaction_id IN \
         (SELECT id FROM \"transaction\" WHERE issued_at < '2026-01-20 00:00:00')",
    )
    .await;
    execute(db, "DELETE FROM \"transaction\" WHERE issued_at < '2026-01-20 00:00:00'").await;
    // Corrections: a transaction moved and re-attributed, activities renamed and re-parented.
    execute(
        db,
        "UPDATE \"transaction\" SET issued_at = '2026-02-14 18:07:00', user_id = 3 \
         WHERE id = (SELECT MIN(id) FROM \"transaction\" WHERE issued_at >= '2026-03-10 00:00:00')",
    )
    .await;
    execute(db, "UPDATE activity SET verb = 'archive' WHERE id % 97 = 0").await;
    execute(db, "UPDATE activity SET object_type = 'Tag', transaction_id = 900001 WHERE id % 89 = 0").await;
}

fn generated_filter(rng: &mut StdRng, purpose: Purpose) -> FilterInput {
    let verbs = ["update", "create", "delete", "run", "archive"];
    // Mostly no `users` filter: insights under one take the plain path.
    let user_count = if rng.random_bool(0.7) { 0 } else { rng.random_range(1..4) };
    let users = (0..user_count).map(|_| rng.random_range(1..24)).collect();
    let actions = (0..rng.random_range(0..3)).map(|_| verbs[rng.random_range(0..verbs.len())].to_owned()).collect();
    // Both sides of UTC, the extremes, half and three-quarter hours, and one that no time zone has
    // (which the plain path must answer).
    let offset = [0, 300, -60, -330, 345, -345, 840, -840, 570, -525, 7][rng.random_range(0..11)];
    // Or a zone (with offset 0): summer time in either hemisphere, half and quarter hours, a
    // 30-minute summer shift, a midnight that does not exist.
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "America/Havana",
        "America/Santiago",
        "Asia/Kolkata",
        "UTC",
    ];
    let time_zone = rng.random_bool(0.3).then(|| zones[rng.random_range(0..zones.len())]);
    let offset = if time_zone.is_some() { 0 } else { offset };
    let end = NaiveDate::from_ymd_opt(2026, 4, 12).expect("date") - chrono::Days::new(rng.random_range(0..100));
    let (start_date, end_date, timeframe) = match rng.random_range(0..5) {
        0 => (None, Some(end), Some([Timeframe::Week, Timeframe::Month, Timeframe::Quarter][rng.random_range(0..3)])),
        1 => (None, Some(end), Some(Timeframe::Year)),
        2 => (Some(end - chrono::Days::new(rng.random_range(0..70))), Some(end), None),
        // Open-ended lists; insights make these the month before the end date.
        3 => (Some(end - chrono::Days::new(rng.random_range(0..70))), None, None),
        _ => (None, if purpose == Purpose::Insights { Some(end) } else { None }, None),
    };
    FilterInput {
        users,
        actions,
        start_date,
        end_date,
        timeframe,
        offset: Some(offset),
        include_internal: Some(rng.random_bool(0.5)),
        object_types: Vec::new(),
        time_zone: time_zone.and_then(audit_gateway::filter::parse_time_zone),
        unparsed: Vec::new(),
    }
}

/// Compares figure by figure, naming the first day that differs rather than printing a year.
fn assert_same_insights(fast: &audit::Insights, plain: &audit::Insights, context: &str) {
    assert_eq!(fast.total_actions, plain.total_actions, "total_actions, {context}");
    assert_eq!(fast.unique_actors, plain.unique_actors, "unique_actors, {context}");
    assert_eq!(fast.top_actor, plain.top_actor, "top_actor, {context}");
    assert_eq!(fast.top_entity_type, plain.top_entity_type, "top_entity_type, {context}");
    assert_eq!(fast.actions_per_day.len(), plain.actions_per_day.len(), "days, {context}");
    if let Some((fast, plain)) = fast.actions_per_day.iter().zip(&plain.actions_per_day).find(|(f, p)| f != p) {
        panic!("actions_per_day: {fast:?} != {plain:?}, {context}");
    }
}

#[tokio::test]
async fn the_rollups_give_exactly_the_plain_figures() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    generated_log(db).await;
    let now = Utc.with_ymd_and_hms(2026, 4, 20, 12, 0, 0).single().expect("now");
    let mut rng = StdRng::seed_from_u64(2026);
    let (mut fast_insights, mut fast_lists, mut seeks) = (0, 0, 0);

    same_days_in_every_zone(db, now).await;
    for round in 0..60 {
        if round == 30 {
            // Half the comparisons read pending deltas beside the tables, half the tables alone.
            assert!(compact(db).await > 0, "the changes after the fact left deltas");
            assert_eq!(pending(db).await, 0);
            same_days_in_every_zone(db, now).await;
        }
        let input = generated_filter(&mut rng, Purpose::Insights);
        let filter = Filter::parse(input.clone(), Purpose::Insights, now).expect("insights filter");
        let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await)
            .await
            .expect("plain insights");
        let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await)
            .await
            .expect("fast insights");
        assert_same_insights(&fast, &plain, &format!("round {round}: insights for {input:?}"));
        fast_insights += usize::from(rollup::covers(&filter));

        let input = generated_filter(&mut rng, Purpose::List);
        let filter = Filter::parse(input.clone(), Purpose::List, now).expect("list filter");
        let plain = read(db, async |db| {
            audit::list_using(db, &filter, PageRequest { page: 1, size: 1 }, Total::Count, Method::LogOnly).await
        })
        .await
        .expect("plain total");
        let total = plain.total.unwrap_or(0);
        // First pages, pages past the seek threshold, the very last row, and past the end.
        let mut pages = vec![PageRequest { page: 1, size: 50 }, PageRequest { page: 23, size: 50 }];
        pages.push(PageRequest { page: rng.random_range(1..=total.max(1)), size: 1 });
        pages.push(PageRequest { page: total.max(1), size: 1 });
        pages.push(PageRequest { page: total / 7 + 2, size: 7 });
        for page in pages {
            let plain = read(db, async |db| audit::list_using(db, &filter, page, Total::Count, Method::LogOnly).await)
                .await
                .expect("plain page");
            let fast = read(db, async |db| audit::list_using(db, &filter, page, Total::Count, Method::Fastest).await)
                .await
                .expect("fast page");
            assert_eq!(fast, plain, "round {round}: {page:?} for {input:?}");
            seeks += usize::from(rollup::covers(&filter) && (page.page - 1) * page.size >= 1_000);
        }
        fast_lists += usize::from(rollup::covers(&filter));

        if let Some(interval) =
            [None, Some(audit::Interval::Week), Some(audit::Interval::Month), Some(audit::Interval::Quarter)][round % 4]
        {
            let insights = Filter::parse(generated_filter(&mut rng, Purpose::Insights), Purpose::Insights, now)
                .expect("insights filter");
            let weekday = [chrono::Weekday::Mon, chrono::Weekday::Sun, chrono::Weekday::Wed][round % 3];
            let buckets = audit::chart::buckets(&insights, interval, weekday).expect("buckets");
            let plain = read(db, async |db| audit::chart_using(db, &insights, buckets.clone(), Method::LogOnly).await)
                .await
                .expect("plain chart");
            let fast = read(db, async |db| audit::chart_using(db, &insights, buckets, Method::Fastest).await)
                .await
                .expect("fast chart");
            assert_eq!(fast, plain, "round {round}: {interval:?} chart for {insights:?}");
        }

        let limit = audit::FacetLimit::parse(Some(5)).expect("limit");
        let plain = read(db, async |db| audit::facets_using(db, &filter, limit, Method::LogOnly).await)
            .await
            .expect("plain facets");
        let fast = read(db, async |db| audit::facets_using(db, &filter, limit, Method::Fastest).await)
            .await
            .expect("fast facets");
        assert_eq!(fast, plain, "round {round}: facets for {input:?}");
    }
    // The comparison means something only if the rollups answered most of it.
    assert!(fast_insights >= 45, "only {fast_insights} insights came from the rollups");
    assert!(fast_lists >= 40, "only {fast_lists} lists came from the rollups");
    assert!(seeks >= 20, "only {seeks} pages were seeks");
}

/// Insights, weekly and monthly charts and hours in zones whose clocks change inside the generated log
/// (New York and Havana on 2026-03-08, Berlin on 03-29) or at its end (Lord Howe and Santiago on
/// 04-05), and in zones that keep a half- or three-quarter-hour offset all year.
async fn same_days_in_every_zone(db: &DatabaseConnection, now: chrono::DateTime<Utc>) {
    let zones = [
        "America/New_York",
        "America/Havana",
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Asia/Kathmandu",
        "Asia/Kolkata",
    ];
    for zone in zones {
        let input = FilterInput {
            start_date: NaiveDate::from_ymd_opt(2026, 2, 20),
            end_date: NaiveDate::from_ymd_opt(2026, 4, 6),
            time_zone: audit_gateway::filter::parse_time_zone(zone),
            ..Default::default()
        };
        let filter = Filter::parse(input, Purpose::Insights, now).expect("zone filter");
        assert!(rollup::covers_days(&filter), "{zone}");
        let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await)
            .await
            .expect("plain insights");
        let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await)
            .await
            .expect("fast insights");
        assert_same_insights(&fast, &plain, zone);
        for interval in [audit::Interval::Week, audit::Interval::Month] {
            let buckets = audit::chart::buckets(&filter, interval, chrono::Weekday::Mon).expect("buckets");
            let plain = read(db, async |db| audit::chart_using(db, &filter, buckets.clone(), Method::LogOnly).await)
                .await
                .expect("plain chart");
            let fast = read(db, async |db| audit::chart_using(db, &filter, buckets, Method::Fastest).await)
                .await
                .expect("fast chart");
            assert_eq!(fast, plain, "{interval:?} in {zone}");
        }
        // Hours around the clock changes of March 8th and 29th (days of 23 hours), and hours of
        // half- and three-quarter-hour zones, with and without a `users` filter (the per-user
        // tables have no hours; with an `actions` filter, no quarter hours either: the log's rows).
        let (none, some, update) = (Vec::new, || vec![2, 3, 4], || vec!["update".to_owned()]);
        let windows = [
            (6, 10, none(), Vec::new()),
            (27, 31, none(), Vec::new()),
            (6, 10, some(), Vec::new()),
            (27, 31, some(), Vec::new()),
            (6, 10, some(), update()),
            (27, 31, some(), update()),
        ];
        for (first, last, users, actions) in windows {
            let input = FilterInput {
                start_date: NaiveDate::from_ymd_opt(2026, 3, first),
                end_date: NaiveDate::from_ymd_opt(2026, 3, last),
                time_zone: audit_gateway::filter::parse_time_zone(zone),
                users,
                actions,
                ..Default::default()
            };
            let filter = Filter::parse(input, Purpose::Insights, now).expect("hour filter");
            let buckets = audit::chart::buckets(&filter, audit::Interval::Hour, chrono::Weekday::Mon).expect("hours");
            let plain = read(db, async |db| audit::chart_using(db, &filter, buckets.clone(), Method::LogOnly).await)
                .await
                .expect("plain hours");
            let fast = read(db, async |db| audit::chart_using(db, &filter, buckets, Method::Fastest).await)
                .await
                .expect("fast hours");
            assert_eq!(fast, plain, "hours in {zone} for users {:?}, actions {:?}", filter.users, filter.actions);
            let counted: i64 = plain.iter().map(|bucket| bucket.user_count + bucket.system_count).sum();
            assert!(counted > 0, "no actions in the hours in {zone} for {:?}", filter.users);
        }
    }
}

/// Folds the pending deltas into the rollup tables; how many there were.
async fn compact(db: &DatabaseConnection) -> u64 {
    audit_gateway::compaction::fold(db).await.expect("compact")
}

/// How many deltas are waiting to be folded.
async fn pending(db: &DatabaseConnection) -> i64 {
    scalar(db, "SELECT COUNT(*) FROM audit_rollup_delta").await
}

/// `(grain, bucket, n)` summed over `from`, a rollup table or the pending deltas (`PENDING_CTE`, with
/// its CTE in `with`), in key order.
async fn totals_by_bucket(db: &DatabaseConnection, with: &str, from: &str) -> Vec<(i64, i64, i64)> {
    let sql = format!(
        "{with}SELECT CAST(grain AS BIGINT), CAST(bucket AS BIGINT), CAST(SUM(n) AS BIGINT) FROM {from} \
         GROUP BY grain, bucket ORDER BY grain, bucket"
    );
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), &sql);
    let rows = db.query_all_raw(statement).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|row| {
            let column = |i| row.try_get_by_index::<i64>(i).expect("an integer");
            (column(0), column(1), column(2))
        })
        .collect()
}

/// Deltas are summed by quarter hour before the coarser grains' buckets are taken from it; every
/// activity still lands in the bucket of each grain that holds it, pending and folded alike:
/// before 1970, at a leap day's last instant and the next month's first, and at a quarter hour's
/// and an hour's edges.
#[tokio::test]
async fn every_activity_is_counted_in_its_bucket_at_every_grain() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    let activities = [
        (1, "2024-02-29 23:46:00"),
        (1, "2024-02-29 23:46:00"),
        (2, "2024-02-29 23:59:59.999999"),
        (3, "2024-02-29 23:44:59"),
        (4, "1969-12-31 23:59:59"),
        (5, "2024-03-01 00:00:00"),
    ];
    let mut last_transaction = None;
    for (id, (transaction, issued_at)) in (1..).zip(activities) {
        if last_transaction != Some(transaction) {
            add_transaction(db, transaction, issued_at, None).await;
            last_transaction = Some(transaction);
        }
        add_activity(db, id, transaction, "create", "Tag").await;
    }
    // By hand: 2024-02-29 is day 1709164800 s, its 23:00 is 1709247600, 23:30 1709249400, 23:45
    // 1709250300; 2024-03-01 is 1709251200, February 2024 began at 1706745600 and December 1969
    // at -2678400 (31 days before the epoch).
    let expected = vec![
        (0, -900, 1),
        (0, 1_709_249_400, 1),
        (0, 1_709_250_300, 3),
        (0, 1_709_251_200, 1),
        (1, -86_400, 1),
        (1, 1_709_164_800, 4),
        (1, 1_709_251_200, 1),
        (2, -2_678_400, 1),
        (2, 1_706_745_600, 4),
        (2, 1_709_251_200, 1),
        (3, -3_600, 1),
        (3, 1_709_247_600, 4),
        (3, 1_709_251_200, 1),
    ];
    let pending =
        format!("WITH {} AS ({}) ", audit_rollup::PENDING_CTE, audit_rollup::pending_query(db.get_database_backend()));
    assert_eq!(totals_by_bucket(db, &pending, audit_rollup::PENDING_CTE).await, expected, "pending");
    assert_eq!(compact(db).await, 6, "one delta per activity, each inserted on its own");
    assert_eq!(totals_by_bucket(db, "", "audit_rollup_total").await, expected, "folded");
}

/// What each trigger appends: an insert's and a delete's deltas one per activity, as they are
/// (all of one sign, nothing to cancel), an update's summed, so that an update of a column the
/// rollups do not count appends nothing; the figures are the same either way.
#[tokio::test]
async fn inserts_append_a_delta_per_activity_and_updates_only_what_moved() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    compact(db).await;
    let june = FilterInput {
        start_date: NaiveDate::from_ymd_opt(2026, 6, 1),
        end_date: NaiveDate::from_ymd_opt(2026, 6, 30),
        ..Default::default()
    };
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).single().expect("now");
    let filter = Filter::parse(june, Purpose::Insights, now).expect("filter");
    let plain = async || read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await;
    assert_eq!(plain().await.expect("plain").total_actions, 11, "the handmade log's June");

    // One statement, three activities of one transaction, two of them alike.
    add_transaction(db, 70, "2026-06-10 10:00:00", Some(BOB)).await;
    execute(
        db,
        "INSERT INTO activity (id, verb, transaction_id, object_type) \
         VALUES (70, 'create', 70, 'Tag'), (71, 'create', 70, 'Tag'), (72, 'update', 70, 'Field')",
    )
    .await;
    assert_eq!(pending(db).await, 3, "one delta per activity");
    // `object_id` is not counted: its -1 and +1 cancel (PostgreSQL fires for any column).
    execute(db, "UPDATE activity SET object_id = 7 WHERE transaction_id = 70").await;
    assert_eq!(pending(db).await, 3, "nothing moved");
    execute(db, "UPDATE activity SET verb = 'delete' WHERE id = 72").await;
    assert_eq!(pending(db).await, 5, "update -1, delete +1");
    execute(db, "DELETE FROM activity WHERE id = 71").await;
    assert_eq!(pending(db).await, 6, "create -1");
    let signs = "SELECT COUNT(*) FROM audit_rollup_delta WHERE delta IN (1, -1)";
    assert_eq!(scalar(db, signs).await, 6, "each one activity's");

    // Two activities more (70's create, 72's delete), pending and folded.
    let plain = plain().await.expect("plain");
    assert_eq!(plain.total_actions, 13);
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
    assert_same_insights(&fast, &plain, "pending");
    assert_eq!(compact(db).await, 6);
    let folded = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("folded");
    assert_same_insights(&folded, &plain, "folded");
}

/// Writers, an administrator and the gateway's folding all at once, as in production: every
/// answer during and after equals the plain one, and nothing is lost or counted twice.
#[tokio::test]
async fn writers_flags_and_folding_at_once_keep_the_rollups_exact() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    // The gateway's folding loop, but failing the test on any error: it logs and retries.
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let folding = {
        let (db, writing) = (db.clone(), writing.clone());
        tokio::spawn(async move {
            let mut folded = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                folded += audit_gateway::compaction::fold(&db).await.expect("folding while others write");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            folded
        })
    };
    let writers: Vec<_> = (0..4)
        .map(|writer: i64| {
            let db = db.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    let id = 10_000 + writer * 1_000 + i;
                    // A request's own transaction: one `transaction` row and two activities.
                    let statements = format!(
                        "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES ({id}, '2026-06-{day:02} {hour:02}:{minute:02}:00', {user}); \
                         INSERT INTO activity (id, verb, transaction_id, object_type) VALUES ({id}, 'create', {id}, 'Tag'); \
                         INSERT INTO activity (id, verb, transaction_id, object_type) VALUES ({a2}, 'update', {id}, 'Datastore')",
                        day = 8 + i % 5,
                        hour = (writer * 5 + i) % 24,
                        minute = (i * 15) % 60,
                        user = BOB + (writer + i) % 3,
                        a2 = id + 500,
                    );
                    let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
                    txn.execute_unprepared(&statements).await.expect("write");
                    txn.commit().await.expect("commit");
                }
            })
        })
        .collect();
    let admin = {
        let db = db.clone();
        tokio::spawn(async move {
            for round in 0..6 {
                let flag = if round % 2 == 0 { "TRUE" } else { "FALSE" };
                db.execute_unprepared(&format!("UPDATE users SET is_internal = {flag} WHERE id = 2"))
                    .await
                    .expect("flag");
                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            }
        })
    };
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let input = FilterInput { timeframe: Some(Timeframe::Month), include_internal: Some(true), ..Default::default() };
    let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
    for writer in writers {
        writer.await.expect("writer");
    }
    admin.await.expect("admin");
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(folding.await.expect("folding") > 0, "the folding ran while they wrote");
    let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain");
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
    assert_same_insights(&fast, &plain, "after concurrent writers, flags and folding");
    assert_eq!(fast.total_actions, 11 + 4 * 40 * 2, "every write counted once");
    compact(db).await;
    assert_eq!(pending(db).await, 0);
    let folded = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("folded");
    assert_same_insights(&folded, &plain, "all folded");
}

#[tokio::test]
async fn a_row_written_by_another_system_is_counted_by_the_next_request() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    // Folded: the first request finds no pending deltas and reads the tables alone.
    compact(app.db()).await;
    let query = "/api/activity/insights?report_date=2026-06-11&timeframe=month";
    let (_, before) = app.get(query).await;
    assert_eq!(before["total_actions"], 11);

    // Plain SQL, as any writer would: a user flagged internal, a new action, a user deleted.
    execute(app.db(), "UPDATE users SET is_internal = TRUE WHERE id = 3").await;
    add_transaction(app.db(), 50, "2026-06-11 23:59:59", Some(2)).await;
    add_activity(app.db(), 50, 50, "create", "Tag").await;
    execute(app.db(), "DELETE FROM users WHERE id = 2").await;

    let (_, after) = app.get(query).await;
    // 12 actions. Carol's 3 are now system actions; bob's 5 belong to a deleted user (user actions
    // that add no actor); svc is internal: no actor is left. Carol and svc tie at 3; carol's id is
    // smaller.
    assert_eq!(after["total_actions"], 12, "{after}");
    assert_eq!(after["unique_actors"], 0, "{after}");
    assert_eq!(after["top_actor"]["user_name"], "carol", "{after}");
    assert_eq!(after["top_actor"]["action_count"], 3, "{after}");
    let system: i64 = days(&after).iter().map(|(_, _, system)| system).sum();
    assert_eq!(system, 3 + 3, "svc's 3 and carol's 3");
}

#[tokio::test]
async fn flagging_a_user_while_they_write_keeps_the_rollups_exact() {
    use sea_orm::TransactionTrait;

    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    // Bob writes in a transaction that is still open when an administrator flags him internal.
    let writer = db.begin().await.expect("begin");
    writer
        .execute_unprepared(
            "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES (70, '2026-06-09 10:00:00', 2); \
             INSERT INTO activity (id, verb, transaction_id, object_type) VALUES (70, 'create', 70, 'Tag')",
        )
        .await
        .expect("write");
    let flag = {
        let db = db.clone();
        tokio::spawn(async move { db.execute_unprepared("UPDATE users SET is_internal = TRUE WHERE id = 2").await })
    };
    if test_db.config.schema.is_some() {
        // PostgreSQL: the flag's trigger waits for the open writer (its lock on the log), so the
        // interleaving under test has happened once a backend waits for a lock.
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                       AND query = 'UPDATE users SET is_internal = TRUE WHERE id = 2' AND datname = current_database()";
        let started = std::time::Instant::now();
        while scalar(db, waiting).await == 0 {
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "the flag never waited for the writer");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    } else {
        // SQLite has one writer: the flag runs before or after the writer's transaction, never
        // inside it, and is exact either way. Give it the chance to queue first.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    writer.commit().await.expect("commit");
    flag.await.expect("flag task").expect("flag");

    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let input = FilterInput { timeframe: Some(Timeframe::Month), ..Default::default() };
    let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
    let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain");
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
    assert_same_insights(&fast, &plain, "after a concurrent flag");
    let system: i64 = fast.actions_per_day.iter().map(|day| day.system_count).sum();
    assert_eq!(system, 3 + 5, "svc's 3 and all 5 of bob's, the new one included");
}

#[tokio::test]
async fn a_seed_leaves_planner_statistics_for_what_it_wrote() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    let config = SeedConfig {
        users: 8,
        actions: 600,
        days: 20,
        seed: 3,
        end_date: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        not_after: None,
    };
    seed::seed(db, &config, |_| {}).await.expect("seed");
    // Without statistics a fresh log is planned as if it were empty (a join of every row for the
    // first page); the seed analyzes what it wrote rather than waiting for autovacuum.
    assert!(statistics(db, "activity").await > 0, "statistics for activity");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SQLite has no TRUNCATE"]
async fn truncating_the_log_empties_the_rollups_and_the_deltas() {
    let test_db = TestDb::new().await;
    assert_on_postgres(&test_db);
    let db = &test_db.db;
    handmade_log(db).await;
    compact(db).await;
    add_transaction(db, 60, "2026-06-09 12:00:00", Some(BOB)).await;
    add_activity(db, 60, 60, "create", "Tag").await; // pending
    execute(db, "TRUNCATE activity").await;
    assert_eq!(pending(db).await, 0);
    for table in audit_rollup::table_names() {
        assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let input = FilterInput { timeframe: Some(Timeframe::Month), ..Default::default() };
    let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
    assert_eq!(fast.total_actions, 0);
}

#[tokio::test]
async fn a_gateway_leaves_the_folding_to_a_newer_schema() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await; // pending deltas
    let waiting = pending(db).await;
    assert!(waiting > 0);
    // A newer gateway migrated the database meanwhile: its rollups may have tables this one does
    // not know, which folding here would leave without those deltas.
    execute(db, "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_from_the_future', 0)")
        .await;
    let refused = audit_gateway::compaction::fold(db).await.expect_err("a newer schema");
    assert!(refused.to_string().contains("m29991231_000001_from_the_future"), "{refused}");
    assert_eq!(pending(db).await, waiting, "nothing folded");
    // Meanwhile answers stay exact: the readers add the pending deltas.
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let input = FilterInput { timeframe: Some(Timeframe::Month), ..Default::default() };
    let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
    assert_eq!(fast.total_actions, 11);

    execute(db, "DELETE FROM seaql_migrations WHERE version = 'm29991231_000001_from_the_future'").await;
    assert_eq!(compact(db).await, u64::try_from(waiting).expect("a count"));
}
