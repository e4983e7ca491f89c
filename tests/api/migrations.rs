//! Migrations run up, down and up again, leaving the schema the queries expect.

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::ConnectionTrait;

use crate::common::*;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test_db = TestDb::new().await; // already migrated up
    let db = &test_db.db;
    let manager = SchemaManager::new(db);
    for table in ["users", "transaction", "activity", "api_token"] {
        assert!(manager.has_table(table).await.expect("inspect"), "{table} after up");
    }
    assert!(manager.has_index("transaction", "ix_transaction_issued_at_id").await.expect("inspect"));

    Migrator::down(db, None).await.expect("down");
    for table in ["users", "transaction", "activity", "api_token"] {
        assert!(!manager.has_table(table).await.expect("inspect"), "{table} after down");
    }

    Migrator::up(db, None).await.expect("up again");
    handmade_log_with_admin(db).await;
    assert!(Migrator::get_pending_migrations(db).await.expect("status").is_empty());
}

/// How many migrations there are up to and including `last`. Tests name the migration they
/// stop at: a count of steps would change with each new one.
fn through(last: &str) -> usize {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    names.iter().position(|name| name == last).expect("a known migration") + 1
}

async fn applied(db: &sea_orm::DatabaseConnection) -> usize {
    Migrator::get_applied_migrations(db).await.expect("status").len()
}

/// Takes back every applied migration after `last`.
async fn down_to(db: &sea_orm::DatabaseConnection, last: &str) {
    let steps = u32::try_from(applied(db).await - through(last)).expect("a few migrations");
    Migrator::down(db, Some(steps)).await.expect("down");
}

/// Runs the migrations not applied yet up to and including `last`.
async fn up_to(db: &sea_orm::DatabaseConnection, last: &str) {
    let steps = u32::try_from(through(last) - applied(db).await).expect("a few migrations");
    Migrator::up(db, Some(steps)).await.expect("up");
}

async fn handmade_log_with_admin(db: &sea_orm::DatabaseConnection) {
    add_user(db, ADMIN_ID, "admin", "Admin", false).await;
    handmade_log(db).await;
}

/// A deployment whose application already wrote the audit log: the migrations must keep its tables
/// and rows, and add only what the gateway needs.
#[tokio::test]
async fn migrations_adopt_an_existing_audit_log() {
    let test_db = TestDb::unmigrated().await;
    let db = &test_db.db;
    // The tables as another system created them (portable DDL, no gateway indexes).
    for ddl in [
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL, user_name VARCHAR(255) NOT NULL UNIQUE, \
         email VARCHAR(255) NOT NULL, role VARCHAR(32) NOT NULL, is_internal BOOLEAN NOT NULL DEFAULT false)",
        "CREATE TABLE \"transaction\" (id BIGINT PRIMARY KEY, issued_at TIMESTAMP NOT NULL, \
         user_id BIGINT NULL REFERENCES users (id) ON DELETE SET NULL, remote_addr VARCHAR(50) NULL)",
        "CREATE TABLE activity (id BIGINT PRIMARY KEY, verb VARCHAR(255) NOT NULL, \
         transaction_id BIGINT NOT NULL REFERENCES \"transaction\" (id), object_type VARCHAR(255) NOT NULL, \
         object_id BIGINT NULL, data TEXT NULL, object_tx_id BIGINT NULL, target_type VARCHAR(255) NULL, \
         target_id BIGINT NULL, target_tx_id BIGINT NULL)",
    ] {
        db.execute_unprepared(ddl).await.expect("existing table");
    }
    add_user(db, ADMIN_ID, "admin", "Admin", false).await;
    handmade_log(db).await;

    audit_gateway::db::migrate(db).await.expect("migrate over the existing log");
    // The backfill wrote the rollups, and the log may never have been analyzed: both are now.
    for table in ["activity", "audit_rollup_user"] {
        assert!(statistics(db, table).await > 0, "statistics for {table}");
    }

    let manager = SchemaManager::new(db);
    assert!(manager.has_table("api_token").await.expect("inspect"));
    assert!(manager.has_index("transaction", "ix_transaction_issued_at_id").await.expect("inspect"));
    let token = audit_gateway::tokens::create(db, "admin", "adopted", None).await.expect("token");
    let found = audit_gateway::auth::TokenCache::default().authenticate(db, &bearer(&token.secret)).await;
    assert!(found.is_ok(), "the adopted log's Admin can authenticate");
    let filter = audit_gateway::filter::Filter::parse(
        Default::default(),
        audit_gateway::filter::Purpose::List,
        chrono::Utc::now(),
    )
    .expect("filter");
    // With offset 0 the total is read from the rollups, so it also shows the backfill counted the
    // log that was there before the migration.
    assert!(audit_gateway::audit::rollup::covers(&filter));
    for path in [audit_gateway::audit::Method::LogOnly, audit_gateway::audit::Method::Fastest] {
        let page = read(db, async |db| {
            audit_gateway::audit::list_using(db, &filter, Default::default(), audit_gateway::audit::Total::Count, path)
                .await
        })
        .await
        .expect("list");
        assert_eq!(page.total, Some(11), "the existing rows are kept and readable ({path:?})");
    }
}

fn bearer(secret: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(axum::http::header::AUTHORIZATION, format!("Bearer {secret}").parse().expect("header"));
    headers
}

/// The schema as the database describes it: tables, columns, indexes, triggers and (PostgreSQL)
/// trigger functions, with the test's own schema name taken out so two databases compare.
async fn schema(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let queries: &[&str] = match backend {
        DbBackend::Postgres => &[
            "SELECT current_schema() || '' AS a, '' AS b",
            "SELECT table_name || '.' || column_name AS a, data_type || ' ' || is_nullable || ' ' || \
             COALESCE(column_default, '') AS b FROM information_schema.columns WHERE table_schema = current_schema()",
            "SELECT indexname AS a, indexdef AS b FROM pg_indexes WHERE schemaname = current_schema()",
            "SELECT t.tgname || '' AS a, pg_get_triggerdef(t.oid) AS b FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
            "SELECT p.proname || '' AS a, p.prosrc AS b FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = current_schema()",
        ],
        _ => &["SELECT type || ' ' || name AS a, COALESCE(sql, '') AS b FROM sqlite_master \
                WHERE name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"],
    };
    let mut lines = Vec::new();
    for sql in queries {
        for row in db.query_all_raw(Statement::from_string(backend, *sql)).await.expect("describe the schema") {
            let (a, b): (String, String) = (row.try_get("", "a").expect("a"), row.try_get("", "b").expect("b"));
            lines.push(format!("{a}: {b}"));
        }
    }
    // The first PostgreSQL line names the schema; drop it from every line.
    if backend == DbBackend::Postgres {
        let name = lines.remove(0).trim_end_matches(": ").to_owned();
        lines = lines.into_iter().map(|line| line.replace(&format!("{name}."), "")).collect();
    }
    lines.sort();
    lines
}

#[tokio::test]
async fn a_fresh_a_stepwise_and_a_seeded_database_have_the_same_schema() {
    let fresh = TestDb::new().await;
    let stepwise = TestDb::unmigrated().await;
    for _ in 0..Migrator::migrations().len() {
        Migrator::up(&stepwise.db, Some(1)).await.expect("one migration");
    }
    let expected = schema(&fresh.db).await;
    assert!(expected.iter().any(|line| line.contains("audit_rollup_time")), "{expected:#?}");
    assert_eq!(schema(&stepwise.db).await, expected, "migrated one step at a time");
    // A bulk seed sets the triggers aside and re-creates them from the live definitions: they must
    // be what the migrations installed.
    let config = audit_gateway::seed::SeedConfig {
        users: 4,
        actions: 50,
        days: 3,
        seed: 1,
        end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        not_after: None,
    };
    audit_gateway::seed::seed(&fresh.db, &config, |_| {}).await.expect("seed");
    assert_eq!(schema(&fresh.db).await, expected, "after a bulk seed");

    // The rollups as the live definitions describe them today: what the migrations added up to.
    let live = TestDb::unmigrated().await;
    Migrator::up(&live.db, Some(2)).await.expect("the log and the tokens");
    let backend = live.db.get_database_backend();
    for statement in audit_rollup::create_tables(backend).into_iter().chain(audit_rollup::create_triggers(backend)) {
        live.db.execute_unprepared(&statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    // The feed is the gateway's, not the rollups'.
    let without_feed = |schema: Vec<String>| -> Vec<String> {
        schema.into_iter().filter(|line| !line.contains("activity_feed")).collect()
    };
    assert_eq!(without_feed(schema(&live.db).await), without_feed(expected), "from the live definitions");
}

#[test]
fn each_migration_is_named_after_its_module() {
    // The names are what installed databases recorded; a migration whose name changed would run
    // again. (The derive names a migration after its file, which for a folder is `mod`.)
    let names: Vec<String> = Migrator::migrations().iter().map(|migration| migration.name().to_owned()).collect();
    assert_eq!(
        names,
        [
            "m20261125_000001_create_audit_log",
            "m20261125_000002_create_api_token",
            "m20261126_000003_create_audit_rollups",
            "m20261126_000004_append_rollup_deltas",
            "m20261126_000005_add_rollup_totals",
            "m20261126_000006_key_per_user_rollups_by_user",
            "m20261126_000007_drop_user_quarter_hours",
            "m20261126_000008_pack_user_entity_counts",
            "m20261202_000009_append_activity_deltas_unsummed",
            "m20261203_000010_create_activity_feed",
        ]
    );
}

#[tokio::test]
async fn taking_the_delta_migration_back_folds_what_is_pending() {
    use audit_gateway::audit::{self, Method};
    use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
    use chrono::{TimeZone, Utc};

    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await; // written through the triggers: pending deltas
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let input = FilterInput { timeframe: Some(Timeframe::Month), ..Default::default() };
    let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
    let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain");
    assert_eq!(plain.total_actions, 11);

    down_to(db, "m20261126_000003_create_audit_rollups").await;
    assert!(!SchemaManager::new(db).has_table("audit_rollup_delta").await.expect("inspect"));
    // The pending deltas were folded in, and the first version's triggers are back and keep the
    // tables themselves (the gateway itself serves only an up-to-date schema).
    let counted = "SELECT CAST(SUM(n) AS BIGINT) FROM audit_rollup_time WHERE grain = 2";
    assert_eq!(scalar(db, counted).await, 11);
    add_transaction(db, 60, "2026-06-12 09:00:00", Some(BOB)).await;
    add_activity(db, 60, 60, "create", "Tag").await;
    assert_eq!(scalar(db, counted).await, 12);

    Migrator::up(db, None).await.expect("up again");
    add_transaction(db, 61, "2026-06-12 10:00:00", Some(CAROL)).await;
    add_activity(db, 61, 61, "update", "Tag").await;
    let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await)
        .await
        .expect("fast, deltas again");
    assert_eq!(scalar(db, counted).await, 12, "the new row waits in the deltas");
    assert_eq!(fast.total_actions, 13);
    assert_eq!(
        fast,
        read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain")
    );
}

#[tokio::test]
async fn a_database_that_recorded_the_third_migration_as_mod_migrates_cleanly() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    audit_gateway::compaction::fold(db).await.expect("fold");
    db.execute_unprepared(
        "UPDATE seaql_migrations SET version = 'mod' WHERE version = 'm20261126_000003_create_audit_rollups'",
    )
    .await
    .expect("record the old name");
    // Without the rename the third migration would run again: fail on PostgreSQL, whose triggers
    // it would create a second time, and backfill the log a second time on SQLite.
    audit_gateway::db::migrate(db).await.expect("migrate");
    assert!(Migrator::get_pending_migrations(db).await.expect("status").is_empty());
    assert_eq!(scalar(db, "SELECT CAST(SUM(n) AS BIGINT) FROM audit_rollup_time WHERE grain = 2").await, 11);
}

#[tokio::test]
async fn the_totals_migration_fills_its_table_from_the_folded_counts() {
    use audit_gateway::audit::{self, Method};
    use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
    use chrono::{TimeZone, Utc};

    let test_db = TestDb::unmigrated().await;
    let db = &test_db.db;
    // Counts in the tables (the first version's triggers keep them directly), then one delta
    // pending while the migration runs.
    Migrator::up(db, Some(3)).await.expect("up to the first rollups");
    handmade_log(db).await;
    Migrator::up(db, Some(1)).await.expect("the deltas");
    add_transaction(db, 60, "2026-06-12 09:00:00", Some(BOB)).await;
    add_activity(db, 60, 60, "create", "Tag").await;

    Migrator::up(db, None).await.expect("the totals");
    let totals = "SELECT CAST(SUM(n) AS BIGINT) FROM audit_rollup_total WHERE grain = 2";
    assert_eq!(scalar(db, totals).await, 11, "the folded counts");
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    for timeframe in [Timeframe::Week, Timeframe::Month] {
        let input = FilterInput { timeframe: Some(timeframe), ..Default::default() };
        let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
        let fast = read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
        assert_eq!(
            fast,
            read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain"),
            "{timeframe:?}"
        );
    }
    audit_gateway::compaction::fold(db).await.expect("fold the pending delta");
    assert_eq!(scalar(db, totals).await, 12, "and the pending one once folded");

    down_to(db, "m20261126_000004_append_rollup_deltas").await;
    assert!(!SchemaManager::new(db).has_table("audit_rollup_total").await.expect("inspect"));
}

#[tokio::test]
async fn dropping_the_per_user_quarter_hours_keeps_every_figure_and_taking_it_back_restores_them() {
    use audit_gateway::audit::{self, Method};
    use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
    use chrono::{TimeZone, Utc};

    let test_db = TestDb::unmigrated().await;
    let db = &test_db.db;
    // Counts at every grain in the tables (the first version's triggers keep them directly), then
    // the sixth migration's schema with one delta pending.
    Migrator::up(db, Some(3)).await.expect("up to the first rollups");
    handmade_log(db).await;
    Migrator::up(db, Some(3)).await.expect("up to the sixth");
    add_transaction(db, 60, "2026-06-12 09:00:00", Some(BOB)).await;
    add_activity(db, 60, 60, "create", "Tag").await;
    let rows = "SELECT bucket, user_id, verb, n FROM audit_rollup_user WHERE grain = 0";
    db.execute_unprepared(&format!("CREATE TABLE kept AS {rows}")).await.expect("keep a copy");
    assert!(scalar(db, "SELECT COUNT(*) FROM kept").await > 0);

    // The readers are today's, so the later migrations too.
    Migrator::up(db, None).await.expect("the seventh and later");
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM audit_rollup_user WHERE grain = 0").await, 0);
    // What read them counts the log instead: actors under an `actions` filter at an offset, and a
    // `users` filter with one at an offset and in a zone (ragged ends, local days).
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let actions = || vec!["update".to_owned(), "create".to_owned()];
    let inputs = [
        FilterInput { actions: actions(), offset: Some(300), ..Default::default() },
        FilterInput { users: vec![BOB, CAROL], actions: actions(), offset: Some(-345), ..Default::default() },
        FilterInput {
            users: vec![BOB, CAROL],
            actions: actions(),
            time_zone: audit_gateway::filter::parse_time_zone("Europe/Berlin"),
            ..Default::default()
        },
    ];
    for input in inputs {
        let days = FilterInput {
            start_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 4),
            end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 9),
            ..input.clone()
        };
        for input in [days, FilterInput { timeframe: Some(Timeframe::Month), ..input }] {
            let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
            let plain =
                read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await).await.expect("plain");
            assert!(plain.total_actions > 0, "{filter:?}");
            let fast =
                read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
            assert_eq!(fast, plain, "{filter:?}");
        }
    }

    down_to(db, "m20261126_000006_key_per_user_rollups_by_user").await;
    let kept = "SELECT bucket, user_id, verb, n FROM kept";
    let differ = format!("SELECT COUNT(*) FROM ({rows} EXCEPT {kept}) AS d");
    assert_eq!(scalar(db, &differ).await, 0, "rows that were not there");
    let missing = format!("SELECT COUNT(*) FROM ({kept} EXCEPT {rows}) AS d");
    assert_eq!(scalar(db, &missing).await, 0, "rows that did not come back");
}

#[tokio::test]
async fn packing_the_per_user_entity_counts_keeps_every_count_and_taking_it_back_unpacks_them() {
    use audit_gateway::audit::{self, Method};
    use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
    use audit_rollup::{Rollup, compact};
    use chrono::{TimeZone, Utc};

    let test_db = TestDb::unmigrated().await;
    let db = &test_db.db;
    // Counts in rows of their own (the first version's triggers keep them directly), two of them
    // zeros (an activity written and deleted: its day and month), then the seventh migration's schema with one delta
    // pending. (Today's folding and readers know only today's schema.)
    up_to(db, "m20261126_000003_create_audit_rollups").await;
    handmade_log(db).await;
    add_transaction(db, 60, "2026-06-12 09:00:00", Some(BOB)).await;
    add_activity(db, 60, 60, "create", "Tag").await;
    db.execute_unprepared("DELETE FROM activity WHERE id = 60").await.expect("delete");
    up_to(db, "m20261126_000007_drop_user_quarter_hours").await;
    let table = "audit_rollup_user_entity";
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM {table} WHERE n = 0")).await, 2, "its day and month");
    add_transaction(db, 61, "2026-06-09 20:00:00", Some(CAROL)).await;
    add_activity(db, 61, 61, "update", "Field").await;
    let rows = format!("SELECT grain, bucket, user_id, verb, object_type, n FROM {table} WHERE n <> 0");
    db.execute_unprepared(&format!("CREATE TABLE kept AS {rows}")).await.expect("keep a copy");
    let kept = "SELECT grain, bucket, user_id, verb, object_type, n FROM kept";
    let same = |rows: String| async move {
        let differ = format!("SELECT COUNT(*) FROM ({rows} EXCEPT {kept}) AS d");
        assert_eq!(scalar(db, &differ).await, 0, "rows that were not there");
        let missing = format!("SELECT COUNT(*) FROM ({kept} EXCEPT {rows}) AS d");
        assert_eq!(scalar(db, &missing).await, 0, "rows that are gone");
    };

    Migrator::up(db, None).await.expect("the eighth, and those after it");
    let unpacked = format!(
        "SELECT grain, bucket, user_id, verb, object_type, n FROM {} AS r",
        Rollup::UserActionsByVerbAndObjectType.source(db.get_database_backend())
    );
    same(unpacked.clone()).await;
    let keys = "SELECT COUNT(*) FROM (SELECT DISTINCT grain, bucket, user_id FROM kept) AS k";
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM {table}")).await, scalar(db, keys).await, "a row per key");

    // `top_entity_type` under a `users` filter reads it: with the delta pending, then folded into a
    // row already there (Carol's 9 June: `update` of a `Field` once, now twice).
    let now = Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).single().expect("now");
    let carol = format!("{unpacked} WHERE r.grain = 1 AND r.user_id = {CAROL} AND r.object_type = 'Field'");
    for folded in [false, true] {
        if folded {
            assert_eq!(compact(db).await.expect("fold"), 1);
            assert_eq!(scalar(db, &format!("SELECT n FROM ({carol}) AS c")).await, 2);
        }
        for users in [vec![CAROL], vec![BOB, CAROL]] {
            let days = FilterInput {
                users: users.clone(),
                start_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 4),
                end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 9),
                ..Default::default()
            };
            let month =
                FilterInput { users, timeframe: Some(Timeframe::Month), offset: Some(-345), ..Default::default() };
            for input in [days, month] {
                let filter = Filter::parse(input, Purpose::Insights, now).expect("filter");
                let plain = read(db, async |db| audit::insights_using(db, &filter, Method::LogOnly).await)
                    .await
                    .expect("plain");
                assert!(plain.top_entity_type.is_some(), "{filter:?}");
                let fast =
                    read(db, async |db| audit::insights_using(db, &filter, Method::Fastest).await).await.expect("fast");
                assert_eq!(fast, plain, "folded: {folded}, {filter:?}");
            }
        }
        if !folded {
            down_to(db, "m20261126_000007_drop_user_quarter_hours").await;
            same(rows.clone()).await;
            Migrator::up(db, None).await.expect("the eighth and after again");
        }
    }
}
