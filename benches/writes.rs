//! What the gateway's triggers (the rollups', and the live feed's on PostgreSQL) cost the systems
//! that write the log: inserts per second with the triggers and without them, measured in one run, alternating, on a scratch database
//! (BENCHMARKS.md, "Write cost").
//!
//! `cargo bench --bench writes -- [--database-url URL] [--quick]`. With a PostgreSQL URL the bench
//! creates (and afterwards drops) a scratch database `audit_bench_writes` on that server; without
//! one it uses a temporary SQLite file. Shapes:
//! - *request*: one database transaction per request, as an application writes its log: one
//!   `transaction` row and two `activity` rows, one `INSERT` each, then `COMMIT`; with 1 and with 8
//!   writers at once;
//! - *batch*: one `INSERT` of 1,000 activities (an import, a replay) over 500 transactions, every
//!   batch at the same 500 moments of June (so a second's batches share their quarter hours, as
//!   an import of a busy stretch of log does);
//! - *scattered batch*: the same, but each transaction at its own moment of a year, about an hour
//!   apart (an import of a sparse log): the deltas of a second's batches share no quarter hour,
//!   which is the folding's worst case.
//!
//! `--retention` measures instead the requests' writers (1 and 8) alone and while `retention`
//! removes an old year of the log.
//!
//! With the triggers on, the rollup deltas are folded in every second meanwhile, as the serving
//! gateway does, so the writers meet the folding's locks, CPU and I/O too (`--fold-every-ms 0`
//! leaves them pending, to see the triggers' own cost).

// Only `scalar` of what the HTTP benchmarks share.
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use audit_gateway::db::{self, DbConfig};
use audit_gateway::{compaction, retention, seed};
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};

#[derive(Debug, Parser)]
struct Args {
    /// A PostgreSQL server URL (a scratch database is created on it) or nothing for SQLite.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Short rounds: checks that the bench runs.
    #[arg(long)]
    quick: bool,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Measurements per shape and mode (alternating with and without triggers).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Milliseconds between foldings of the rollup deltas while the triggers are on (the gateway's
    /// `--compact-every-ms`); 0 leaves them pending, which shows the triggers' own cost.
    #[arg(long, default_value_t = 1_000)]
    fold_every_ms: u64,
    /// Leaves the live feed's trigger off in both modes: the rollups' cost alone (PostgreSQL).
    #[arg(long)]
    without_feed: bool,
    /// As if a gateway listened to the live feed all along, so the feed's trigger notifies
    /// (PostgreSQL; without it nobody listens and the trigger only records).
    #[arg(long)]
    listened: bool,
    /// Instead: the writers' rate while `retention` removes an old year of the log (seeded first,
    /// `--old-activities` of it), against their rate alone, alternating.
    #[arg(long)]
    retention: bool,
    /// Activities of the old year `--retention` removes.
    #[arg(long, default_value_t = 1_000_000)]
    old_activities: u64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[tokio::main]
async fn main() {
    let mut args = Args::parse();
    if args.quick {
        args.seconds = 0.2;
        args.rounds = 1;
    }
    if args.quick {
        args.old_activities = args.old_activities.min(20_000);
    }
    let (url, cleanup) = scratch(&args).await;
    let db = db::connect(&DbConfig::new(url.clone())).await.expect("connect to the scratch database");
    db::migrate(&db).await.expect("migrate the scratch database");
    let backend = db.get_database_backend();
    if args.retention {
        during_retention(&db, &url, &args).await;
        db.close().await.ok();
        cleanup.await;
        return;
    }
    if args.listened && backend == DbBackend::Postgres {
        exec(&db, "INSERT INTO activity_feed_listened (until) VALUES (now() + interval '1 day')").await;
    }
    for id in 1..=50 {
        let internal = if id % 10 == 0 { "TRUE" } else { "FALSE" };
        exec(
            &db,
            &format!(
                "INSERT INTO users (id, name, user_name, email, role, is_internal) \
                 VALUES ({id}, 'U{id}', 'u{id}', 'u{id}@example.com', 'Member', {internal})"
            ),
        )
        .await;
    }
    let next_id = Arc::new(AtomicI64::new(1));
    let seconds = Duration::from_secs_f64(args.seconds);

    println!("| shape | writers | without triggers (activities/s) | with triggers (activities/s) | with ÷ without |");
    println!("|---|--:|--:|--:|--:|");
    for (shape, writers) in [("request", 1), ("request", 8), ("batch", 1), ("scattered batch", 1)] {
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            for triggers in [false, true] {
                set_triggers(&db, backend, triggers, !args.without_feed).await;
                // With the triggers, the gateway folds their deltas in meanwhile, as it does in
                // production (every second by default).
                let folding = (triggers && args.fold_every_ms > 0)
                    .then(|| compaction::spawn(db.clone(), Duration::from_millis(args.fold_every_ms)));
                let rate = measure(&url, shape, writers, seconds, &next_id).await;
                if let Some(folding) = folding {
                    folding.abort();
                }
                if triggers {
                    with.push(rate)
                } else {
                    without.push(rate)
                };
            }
        }
        set_triggers(&db, backend, true, true).await;
        let (with, without) = (median(with), median(without));
        println!("| {shape} | {writers} | {without:.0} | {with:.0} | {:.2} |", with / without);
    }
    db.close().await.ok();
    cleanup.await;
}

/// Requests' writers alone and while a retention run removes the seeded old year, alternating;
/// the rollups' and the feed's triggers on and the deltas folded every second throughout, as in
/// production. Each retention run is stopped when its measurement ends and the next goes on
/// from there (each of its statements commits on its own).
async fn during_retention(db: &DatabaseConnection, url: &str, args: &Args) {
    let old = seed::SeedConfig {
        users: 50,
        actions: args.old_activities,
        days: 366,
        seed: 7,
        end_date: chrono::NaiveDate::from_ymd_opt(2020, 12, 31).expect("date"),
        not_after: None,
    };
    seed::seed(db, &old, |_| {}).await.expect("seed the old year");
    let cutoff = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).and_then(|day| day.and_hms_opt(0, 0, 0));
    let cutoff = cutoff.expect("a valid date");
    let highest = support::scalar::<i64>(db, "SELECT COALESCE(MAX(id), 0) FROM activity")
        .await
        .max(support::scalar::<i64>(db, "SELECT COALESCE(MAX(id), 0) FROM \"transaction\"").await);
    let next_id = Arc::new(AtomicI64::new(highest + 1));
    let seconds = Duration::from_secs_f64(args.seconds);
    let folding = compaction::spawn(db.clone(), Duration::from_millis(args.fold_every_ms.max(1)));
    let old_left =
        async || support::scalar::<i64>(db, &format!("SELECT COUNT(*) FROM activity WHERE id <= {highest}")).await;
    println!(
        "| writers | alone (activities/s) | during retention (activities/s) | during ÷ alone | removed (activities/s) |"
    );
    println!("|--:|--:|--:|--:|--:|");
    let mut ended_early = false;
    for writers in [1, 8] {
        let (mut alone, mut during, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            alone.push(measure(url, "request", writers, seconds, &next_id).await);
            let before = old_left().await;
            assert!(before > 0, "the old year is gone: seed more with --old-activities");
            let run = tokio::spawn({
                let db = db.clone();
                async move { retention::remove(&db, cutoff).await }
            });
            let started = Instant::now();
            during.push(measure(url, "request", writers, seconds, &next_id).await);
            let finished_early = run.is_finished();
            run.abort();
            let _ = run.await;
            removed.push((before - old_left().await) as f64 / started.elapsed().as_secs_f64());
            ended_early |= finished_early;
        }
        let (alone, during, removed) = (median(alone), median(during), median(removed));
        println!("| {writers} | {alone:.0} | {during:.0} | {:.2} | {removed:.0} |", during / alone);
    }
    folding.abort();
    if ended_early {
        println!("\nA retention run ended before its measurement did: seed more with --old-activities.");
    }
}

/// Activities written per second by `writers` concurrent writers for about `seconds`.
async fn measure(url: &str, shape: &str, writers: usize, seconds: Duration, next_id: &Arc<AtomicI64>) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let url = url.to_owned();
        let shape = shape.to_owned();
        let next_id = next_id.clone();
        tasks.push(tokio::spawn(async move {
            let db = db::connect(&DbConfig::new(url)).await.expect("writer connection");
            let mut written = 0u64;
            while started.elapsed() < seconds {
                written += match shape.as_str() {
                    "request" => write_request(&db, &next_id, writer).await,
                    "batch" => write_batch(&db, &next_id, false).await,
                    _ => write_batch(&db, &next_id, true).await,
                };
            }
            db.close().await.ok();
            written
        }));
    }
    let mut written = 0;
    for task in tasks {
        written += task.await.expect("writer task");
    }
    written as f64 / started.elapsed().as_secs_f64()
}

/// One request's log: a transaction and two activities, in one database transaction.
async fn write_request(db: &DatabaseConnection, next_id: &AtomicI64, writer: usize) -> u64 {
    let id = next_id.fetch_add(2, Ordering::Relaxed);
    let user = (id / 2) % 50 + 1;
    let txn = db.begin().await.expect("begin");
    exec(
        &txn,
        &format!(
            "INSERT INTO \"transaction\" (id, issued_at, user_id, remote_addr) \
             VALUES ({id}, '2026-06-30 12:{:02}:{:02}', {user}, '10.0.0.{writer}')",
            (id / 60) % 60,
            id % 60
        ),
    )
    .await;
    for (n, verb) in [(0, "update"), (1, "create")] {
        exec(
            &txn,
            &format!(
                "INSERT INTO activity (id, verb, transaction_id, object_type, object_id) \
                 VALUES ({}, '{verb}', {id}, 'Datastore', {id})",
                id + n
            ),
        )
        .await;
    }
    txn.commit().await.expect("commit");
    2
}

/// One `INSERT` of 500 new transactions and one of their 1,000 activities: at the same 500
/// moments of June in every batch, or `scattered`, each transaction at its own moment of 2026.
async fn write_batch(db: &DatabaseConnection, next_id: &AtomicI64, scattered: bool) -> u64 {
    const ACTIVITIES: i64 = 1_000;
    let first = next_id.fetch_add(ACTIVITIES, Ordering::Relaxed);
    let year_start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|day| day.and_hms_opt(0, 0, 0));
    let year_start = year_start.expect("a valid date");
    let transactions: Vec<String> = (0..ACTIVITIES / 2)
        .map(|i| {
            let id = first + 2 * i;
            let issued_at = if scattered {
                // 3,607 s apart (a prime, so consecutive ids land in different quarter hours and
                // minutes), wrapping around the year.
                let at = year_start + chrono::Duration::seconds(id / 2 * 3_607 % (365 * 86_400));
                at.format("%Y-%m-%d %H:%M:%S").to_string()
            } else {
                format!("2026-06-{:02} {:02}:{:02}:00", 1 + i % 28, i % 24, i % 60)
            };
            format!("({id}, '{issued_at}', {}, NULL)", id % 50 + 1)
        })
        .collect();
    let activities: Vec<String> = (0..ACTIVITIES)
        .map(|i| {
            let tx = first + 2 * (i / 2);
            let verb = ["update", "create", "delete", "run"][(i % 4) as usize];
            let object_type = ["Datastore", "Anomaly", "QualityCheck"][(i % 3) as usize];
            format!("({}, '{verb}', {tx}, '{object_type}', NULL)", first + i)
        })
        .collect();
    let txn = db.begin().await.expect("begin");
    exec(
        &txn,
        &format!(
            "INSERT INTO \"transaction\" (id, issued_at, user_id, remote_addr) VALUES {}",
            transactions.join(", ")
        ),
    )
    .await;
    exec(
        &txn,
        &format!(
            "INSERT INTO activity (id, verb, transaction_id, object_type, object_id) VALUES {}",
            activities.join(", ")
        ),
    )
    .await;
    txn.commit().await.expect("commit");
    ACTIVITIES as u64
}

/// Every trigger the gateway puts on the log, on or off: the rollups' and, on PostgreSQL, the live
/// feed's (off, the log is a bare table).
async fn set_triggers(db: &DatabaseConnection, backend: DbBackend, on: bool, feed: bool) {
    let statements = if on { audit_rollup::create_triggers(backend) } else { audit_rollup::drop_triggers(backend) };
    for statement in
        audit_rollup::drop_triggers(backend).into_iter().chain(on.then_some(statements).into_iter().flatten())
    {
        exec(db, &statement).await;
    }
    if backend == DbBackend::Postgres {
        let state = if on && feed { "ENABLE" } else { "DISABLE" };
        exec(db, &format!("ALTER TABLE activity {state} TRIGGER audit_gateway_activity_feed")).await;
    }
}

async fn exec(db: &impl ConnectionTrait, sql: &str) {
    db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The scratch database's URL, and what removes it afterwards.
async fn scratch(args: &Args) -> (String, std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    match &args.database_url {
        Some(server) if server.starts_with("postgres") => {
            let admin = sea_orm::Database::connect(server.as_str()).await.expect("connect to the PostgreSQL server");
            exec(&admin, "DROP DATABASE IF EXISTS audit_bench_writes").await;
            exec(&admin, "CREATE DATABASE audit_bench_writes").await;
            let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
            let url = format!("{base}/audit_bench_writes");
            (
                url,
                Box::pin(async move {
                    exec(&admin, "DROP DATABASE IF EXISTS audit_bench_writes").await;
                }),
            )
        }
        _ => {
            let path = std::env::temp_dir().join(format!("audit-gateway-writes-{}.db", std::process::id()));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (
                url,
                Box::pin(async move {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }),
            )
        }
    }
}
