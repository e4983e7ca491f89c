//! The `audit-gateway` binary: token commands print what scripts rely on, and never a secret twice.

use std::process::Command;

use audit_gateway::tokens;
use entity::api_token;
use sea_orm::EntityTrait;

use crate::common::*;

fn run(test_db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
        .args(args)
        .env("DATABASE_URL", cli_url(test_db))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run audit-gateway");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test]
async fn token_create_prints_the_secret_alone_and_stores_only_its_hash() {
    let test_db = TestDb::new().await;
    add_user(&test_db.db, ADMIN_ID, "admin", "Admin", false).await;

    let (ok, stdout, stderr) =
        run(&test_db, &["token", "create", "--user", "admin", "--name", "ci", "--expires-in-days", "30"]);
    assert!(ok, "{stderr}");
    let secret = stdout.strip_suffix('\n').expect("one line");
    assert!(secret.starts_with("agw_") && !secret.contains(char::is_whitespace), "{stdout:?}");
    let rows = api_token::Entity::find().all(&test_db.db).await.expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token_hash, tokens::hash_secret(secret));
    assert_eq!(rows[0].name, "ci");

    let (ok, listing, _) = run(&test_db, &["token", "list"]);
    assert!(ok);
    assert!(listing.contains("ci") && listing.contains("admin") && listing.contains("active"), "{listing}");
    assert!(!listing.contains(secret));

    let (ok, _, _) = run(&test_db, &["token", "revoke", &rows[0].id.to_string()]);
    assert!(ok);
    let (_, listing, _) = run(&test_db, &["token", "list"]);
    assert!(listing.contains("revoked"), "{listing}");
}

#[tokio::test]
async fn token_create_for_an_unknown_user_fails_and_writes_nothing() {
    let test_db = TestDb::new().await;
    let (ok, stdout, stderr) = run(&test_db, &["token", "create", "--user", "nobody"]);
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("nobody"), "{stderr}");
    assert!(api_token::Entity::find().all(&test_db.db).await.expect("query").is_empty());
}

#[test]
fn schema_prints_the_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway")).arg("schema").output().expect("run");
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).expect("utf-8"), audit_gateway::graphql::export_sdl());
}

#[tokio::test]
async fn rollups_rebuild_catches_up_with_rows_written_past_the_triggers() {
    use audit_gateway::audit::{self, Method, Snapshot, Total};
    use sea_orm::ConnectionTrait;

    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await;
    // A bulk load with the triggers out of the way, as a restore might do it.
    let backend = db.get_database_backend();
    for statement in audit_rollup::drop_triggers(backend) {
        db.execute_unprepared(&statement).await.expect("drop triggers");
    }
    add_transaction(db, 60, "2026-06-09 12:00:00", Some(2)).await;
    add_activity(db, 60, 60, "create", "Tag").await;
    for statement in audit_rollup::create_triggers(backend) {
        db.execute_unprepared(&statement).await.expect("create triggers");
    }
    let filter = audit_gateway::filter::Filter::parse(
        Default::default(),
        audit_gateway::filter::Purpose::List,
        chrono::Utc::now(),
    )
    .expect("filter");
    let filter = &filter;
    // Each read ends its snapshot before the command runs: a blocking wait below would keep an
    // abandoned one open, and `rollups rebuild` waits for every open transaction.
    let total = |path| async move {
        let snapshot = Snapshot::new(db);
        let page = audit::list_using(&snapshot, filter, Default::default(), Total::Count, path).await;
        snapshot.finish().await;
        page.expect("list").total
    };
    assert_eq!(total(Method::LogOnly).await, Some(12));
    assert_eq!(total(Method::Fastest).await, Some(11), "the rollups missed the bypassing write");

    let (ok, _, stderr) = run(&test_db, &["rollups", "rebuild"]);
    assert!(ok, "{stderr}");
    assert_eq!(total(Method::Fastest).await, Some(12));
}

#[tokio::test]
async fn rollups_compact_folds_the_pending_deltas() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    handmade_log(db).await; // through the triggers: 11 activities, pending
    let pending = "SELECT COUNT(*) FROM audit_rollup_delta";
    let folded = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM audit_rollup_time WHERE grain = 2";
    assert!(scalar(db, pending).await > 0);
    assert_eq!(scalar(db, folded).await, 0);

    let (ok, _, stderr) = run(&test_db, &["rollups", "compact"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("pending deltas folded in"), "{stderr}");
    assert_eq!(scalar(db, pending).await, 0);
    assert_eq!(scalar(db, folded).await, 11);
}

/// The migrations not yet applied to `db`, read without creating anything.
async fn pending_migrations(db: &sea_orm::DatabaseConnection) -> usize {
    use migration::MigratorTrait;
    migration::Migrator::get_pending_migrations_read_only(db).await.expect("migration status").len()
}

#[tokio::test]
async fn commands_other_than_migrate_never_change_a_schema_and_say_what_to_run() {
    let test_db = TestDb::unmigrated().await;
    let all = pending_migrations(&test_db.db).await;
    assert!(all > 0);
    for args in [
        &["token", "create", "--user", "admin"][..],
        &["token", "list"],
        &["seed", "--users", "3", "--actions", "10"],
        &["serve", "--bind", "127.0.0.1:0"],
        &["rollups", "rebuild"],
    ] {
        let (ok, stdout, stderr) = run(&test_db, args);
        assert!(!ok, "{args:?} must refuse: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains("audit-gateway migrate"), "{args:?}: {stderr}");
        assert_eq!(pending_migrations(&test_db.db).await, all, "{args:?} changed the schema");
    }
    let (ok, _, stderr) = run(&test_db, &["migrate"]);
    assert!(ok, "{stderr}");
    assert_eq!(pending_migrations(&test_db.db).await, 0);
}

/// Runs `args` in an empty directory with the default database URL: whether it succeeded, its
/// stderr, and whether it created `audit.db` there.
fn run_without_a_database(name: &str, args: &[&str]) -> (bool, String, bool) {
    let dir = std::env::temp_dir().join(format!("audit-gateway-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
        .args(args)
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    let created = dir.join("audit.db").exists();
    let _ = std::fs::remove_dir_all(&dir);
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned(), created)
}

#[test]
fn a_missing_sqlite_file_is_not_created_by_commands_that_only_read_it() {
    let (ok, stderr, created) = run_without_a_database("missing", &["token", "list"]);
    assert!(!ok);
    assert!(stderr.contains("no database at audit.db") && stderr.contains("audit-gateway migrate"), "{stderr}");
    assert!(!created, "nothing created");
}

#[tokio::test]
async fn token_create_names_the_admins_when_the_user_is_unknown_and_refuses_non_admins() {
    let test_db = TestDb::new().await;
    add_user(&test_db.db, ADMIN_ID, "root", "Admin", false).await;
    add_user(&test_db.db, DAVE, "dave", "Manager", false).await;
    let (ok, stdout, stderr) = run(&test_db, &["token", "create", "--user", "admin"]);
    assert!(!ok && stdout.is_empty());
    assert!(stderr.contains("\"admin\"") && stderr.contains("root"), "{stderr}");
    let (ok, _, stderr) = run(&test_db, &["token", "create", "--user", "dave"]);
    assert!(!ok);
    assert!(stderr.contains("dave is a Manager") && stderr.contains("only Admins"), "{stderr}");
    assert!(api_token::Entity::find().all(&test_db.db).await.expect("query").is_empty(), "nothing created");
}

#[tokio::test]
async fn seed_writes_up_to_now_by_default_and_says_which_window() {
    let test_db = TestDb::new().await;
    let before = chrono::Utc::now().naive_utc();
    let (ok, _, stderr) = run(&test_db, &["seed", "--users", "5", "--actions", "300", "--days", "3"]);
    assert!(ok, "{stderr}");
    let transactions = entity::transaction::Entity::find().all(&test_db.db).await.expect("query");
    let stamps = transactions.iter().map(|t| t.issued_at);
    let span = (stamps.clone().min().expect("rows"), stamps.max().expect("rows"));
    let after = chrono::Utc::now().naive_utc();
    let today = after.date();
    assert!(span.1.date() == today && span.1 <= after, "the last action is today, before now: {}", span.1);
    assert!(span.0.date() >= today - chrono::Days::new(2), "three days: {}", span.0);
    let first_day = before.date() - chrono::Days::new(2);
    assert!(stderr.contains(&format!("dated {first_day} to {today}")), "{stderr}");
    assert!(stderr.contains("the Admin is `admin`"), "{stderr}");
}

/// A demo started from `dir` on `port`; its stdout lines are collected as they come.
struct Demo {
    child: std::process::Child,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Demo {
    fn start(dir: &std::path::Path, port: u16) -> Demo {
        use std::io::Read;
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
            .args(["demo", "--bind", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the demo");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stdout.take().expect("stdout");
        let collected = stdout.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                collected.lock().expect("stdout").push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Demo { child, stdout }
    }

    /// The token the demo printed (`export TOKEN=…`), once it has.
    async fn token(&self) -> String {
        for _ in 0..600 {
            let text = self.stdout.lock().expect("stdout").clone();
            if let Some(line) = text.lines().find_map(|line| line.trim().strip_prefix("export TOKEN=")) {
                return line.to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the demo printed no token");
    }

    /// Waits for the process to end; its status and stderr.
    fn finish(mut self) -> (bool, String) {
        use std::io::Read;
        let status = self.child.wait().expect("wait");
        let mut stderr = String::new();
        let _ = self.child.stderr.take().expect("stderr").read_to_string(&mut stderr);
        (status.success(), stderr)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
}

#[tokio::test]
async fn a_second_demo_refuses_while_the_first_serves_and_the_first_keeps_working() {
    let dir = std::env::temp_dir().join(format!("audit-gateway-demos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = free_port();
    let first = Demo::start(&dir, port);
    let token = first.token().await;
    // The audit page's address comes first, before the token it needs.
    let printed = first.stdout.lock().expect("stdout").clone();
    let page_line = printed.lines().position(|line| line.contains(&format!("Audit page http://127.0.0.1:{port}/ ")));
    let token_line = printed.lines().position(|line| line.contains("export TOKEN="));
    assert!(page_line.is_some() && page_line < token_line, "{printed}");
    let client = reqwest::Client::new();
    let page = format!("http://127.0.0.1:{port}/api/activity?timeframe=week");
    let served = |client: reqwest::Client, page: String, token: String| async move {
        client.get(page).bearer_auth(token).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    };
    assert_eq!(served(client.clone(), page.clone(), token.clone()).await, 200);

    // The same address: refused before anything is touched, with the way out.
    let (ok, stderr) = Demo::start(&dir, port).finish();
    assert!(!ok);
    assert!(stderr.contains("--bind"), "{stderr}");
    // Another address, the same directory: the first demo's database is not deleted.
    let (ok, stderr) = Demo::start(&dir, free_port()).finish();
    assert!(!ok);
    assert!(stderr.contains("another demo is serving audit-demo.db"), "{stderr}");

    assert_eq!(served(client, page, token).await, 200, "the first demo and its token still work");
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn retention_dry_run_says_what_would_go_and_the_run_removes_it() {
    let test_db = TestDb::new().await;
    let db = &test_db.db;
    add_user(db, ADMIN_ID, "admin", "Admin", false).await;
    let now = chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    for (id, issued_at, activities) in
        [(1, "2020-01-31 23:00:00", 2), (2, "2020-02-01 00:00:00", 1), (3, now.as_str(), 3)]
    {
        add_transaction(db, id, issued_at, Some(ADMIN_ID)).await;
        for n in 0..activities {
            add_activity(db, id * 10 + n, id, "update", "Datastore").await;
        }
    }

    let (ok, stdout, stderr) = run(&test_db, &["retention", "--keep-days", "30", "--dry-run"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("would remove 2 transactions and 3 activities issued before "), "{stdout}");
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM activity").await, 6, "a dry run removes nothing");

    let (ok, stdout, stderr) = run(&test_db, &["retention", "--keep-days", "30", "--time-zone", "Europe/Berlin"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("removed 2 transactions and 3 activities issued before "), "{stdout}");
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM activity").await, 3);
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM \"transaction\"").await, 1);

    let (ok, _, stderr) = run(&test_db, &["retention", "--keep-days", "0"]);
    assert!(!ok && stderr.contains("--keep-days"), "at least a day is kept: {stderr}");
    let (ok, _, stderr) = run(&test_db, &["retention", "--keep-days", "3", "--time-zone", "Mars/Olympus"]);
    assert!(!ok && stderr.contains("Mars/Olympus"), "{stderr}");
}

#[test]
fn serve_on_a_missing_sqlite_file_says_so_and_creates_nothing() {
    let (ok, stderr, created) = run_without_a_database("missing-serve", &["serve", "--bind", "127.0.0.1:0"]);
    assert!(!ok);
    assert!(stderr.contains("no database at audit.db"), "{stderr}");
    assert!(!created, "nothing created");
}
