//! The test harness: a fresh database per test (a temporary SQLite file, or a fresh PostgreSQL
//! schema when `TEST_DATABASE_URL` names a PostgreSQL server), the real router served on an
//! ephemeral port, an HTTP client, and helpers to write a handmade audit log.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use audit_gateway::app;
use audit_gateway::audit::Snapshot;
use audit_gateway::db::{self, DbConfig};
use audit_gateway::state::{AppState, Limits};
use audit_gateway::tokens;
use chrono::NaiveDateTime;
use entity::{activity, transaction, users};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde_json::{Value, json};

static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// Says once per run which database the tests use. Written to stderr directly: the test harness
/// captures `eprintln!`, and this line is for every run, failing or not.
fn announce_backend(backend: &str) {
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    ANNOUNCED.call_once(|| {
        let _ = writeln!(std::io::stderr(), "audit-gateway tests on {backend}");
    });
}

/// PostgreSQL was asked for and cannot be reached: one clear line for the whole run, not a panic
/// per test, and the run fails.
fn unreachable_database(url: &str, error: &sea_orm::DbErr) -> ! {
    let _ = writeln!(
        std::io::stderr(),
        "\nTEST_DATABASE_URL={url} cannot be reached: {error}\n\
         The PostgreSQL suite needs that server running and its database created (README, \"Two commands\"); \
         unset TEST_DATABASE_URL to run on SQLite.\n"
    );
    std::process::exit(2)
}

/// A database of its own for one test, removed when the test ends.
pub struct TestDb {
    pub config: DbConfig,
    pub db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresSchema { admin_url: String, schema: String },
}

impl TestDb {
    /// A migrated, empty database. With `TEST_DATABASE_URL` set, PostgreSQL must be reachable:
    /// the test fails rather than silently falling back to SQLite.
    pub async fn new() -> TestDb {
        let test_db = TestDb::unmigrated().await;
        db::migrate(&test_db.db).await.expect("migrate the test database");
        test_db
    }

    /// An empty database with no tables at all.
    pub async fn unmigrated() -> TestDb {
        // Errors the server logs (and hides from clients) show in a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
        let n = NEXT_DATABASE.fetch_add(1, Ordering::SeqCst);
        let unique = format!("{}_{}_{}", std::process::id(), n, chrono::Utc::now().timestamp_micros());
        let (config, cleanup) = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                announce_backend(&format!("PostgreSQL at {url}, a fresh schema per test"));
                let schema = format!("test_{unique}");
                let admin = match db::connect(&DbConfig::new(url.clone())).await {
                    Ok(admin) => admin,
                    Err(error) => unreachable_database(&url, &error),
                };
                admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
                admin.close().await.expect("close admin connection");
                let mut config = DbConfig::new(url.clone());
                config.schema = Some(schema.clone());
                (config, Cleanup::PostgresSchema { admin_url: url, schema })
            }
            Ok(url) if !url.is_empty() && !url.starts_with("sqlite") => {
                panic!("TEST_DATABASE_URL must be a postgres:// or sqlite URL, got {url}")
            }
            _ => {
                announce_backend("SQLite, a temporary file per test (TEST_DATABASE_URL=postgres://… for PostgreSQL)");
                let path = std::env::temp_dir().join(format!("audit-gateway-test-{unique}.db"));
                let config = DbConfig::new(format!("sqlite://{}?mode=rwc", path.display()));
                (config, Cleanup::SqliteFile(path))
            }
        };
        let db = db::connect(&config).await.expect("connect to the test database");
        TestDb { config, db, cleanup }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresSchema { admin_url, schema } => {
                // Drop runs inside the test's runtime; a thread with its own runtime can block.
                let (url, schema) = (admin_url.clone(), schema.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    runtime.block_on(async {
                        let admin = db::connect(&DbConfig::new(url)).await.ok()?;
                        admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.ok()?;
                        admin.close().await.ok()
                    })
                })
                .join();
            }
        }
    }
}

/// For the tests that only apply to PostgreSQL (`#[ignore = "needs PostgreSQL: …"]`, run with
/// `--include-ignored` where `TEST_DATABASE_URL` names one): run anywhere else, they fail rather
/// than pass without testing anything.
pub fn assert_on_postgres(test_db: &TestDb) {
    assert!(
        test_db.config.schema.is_some(),
        "this test needs PostgreSQL: run it with TEST_DATABASE_URL=postgres://… (README, \"Two commands\")"
    );
}

/// A database URL the binary can use for this test's database (PostgreSQL: pinned to its schema).
pub fn cli_url(test_db: &TestDb) -> String {
    match &test_db.config.schema {
        Some(schema) => format!("{}?options=-c%20search_path%3D{schema}", test_db.config.url),
        None => test_db.config.url.clone(),
    }
}

/// The real application on an ephemeral port, with an Admin token ready.
pub struct TestApp {
    pub address: String,
    pub test_db: TestDb,
    pub client: reqwest::Client,
    /// Secret of an Admin's token (user 1, `admin`).
    pub token: String,
    /// SQL statements the application's connection has run so far, token look-ups aside.
    statements: Arc<AtomicUsize>,
    /// The `application_name` of the server's PostgreSQL connections: this test's alone, so it can
    /// terminate them without touching another test's.
    pub application_name: String,
}

pub const ADMIN_ID: i64 = 1;

impl TestApp {
    /// Serves the app over a fresh database that holds only the admin account.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Limits::default()).await
    }

    /// Like [`TestApp::spawn`], with other limits. As `serve` does, PostgreSQL cancels the
    /// server's statements at the request deadline.
    pub async fn spawn_with(limits: Limits) -> TestApp {
        TestApp::spawn_configured(limits, |state| state).await
    }

    /// Like [`TestApp::spawn_with`], with the state adjusted by `configure` (CORS origins, …).
    pub async fn spawn_configured(limits: Limits, configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let test_db = TestDb::new().await;
        add_user(&test_db.db, ADMIN_ID, "admin", "Admin", false).await;
        TestApp::serve(test_db, limits, configure).await
    }

    /// Serves a database `seed` wrote (whose first account is the Admin `admin`).
    pub async fn spawn_seeded(config: &audit_gateway::seed::SeedConfig) -> TestApp {
        let test_db = TestDb::new().await;
        audit_gateway::seed::seed(&test_db.db, config, |_| {}).await.expect("seed");
        TestApp::serve(test_db, Limits::default(), |state| state).await
    }

    async fn serve(test_db: TestDb, limits: Limits, configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let token = tokens::create(&test_db.db, "admin", "tests", None).await.expect("admin token").secret;

        // The server gets its own pool so its statements can be counted.
        let statements = Arc::new(AtomicUsize::new(0));
        let mut server_config = test_db.config.clone();
        server_config.statement_timeout = Some(limits.request_timeout);
        let application_name = format!("audit-gateway-test-{}", test_db.config.schema.as_deref().unwrap_or("sqlite"));
        server_config.application_name = application_name.clone();
        let mut server_db = db::connect(&server_config).await.expect("server connection");
        let counter = statements.clone();
        server_db.set_metric_callback(move |info| {
            // A token is looked up only when this server has not verified it in the last second,
            // so those look-ups are not counted: a request's statements do not depend on timing.
            if !info.statement.sql.contains("api_token") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let state = configure(AppState::with_limits(server_db, limits));
        tokio::spawn(app::serve(listener, state, std::future::pending()));
        TestApp { address, test_db, client: reqwest::Client::new(), token, statements, application_name }
    }

    /// `host:port` of the server, for raw TCP clients.
    pub fn socket_address(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.test_db.db
    }

    /// The address of another server over the same database: a second replica.
    pub async fn replica(&self) -> String {
        let db = db::connect(&self.test_db.config).await.expect("replica connection");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(app::serve(listener, AppState::new(db), std::future::pending()));
        address
    }

    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// `GET path` with the admin token; returns the status and the JSON body.
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        self.get_as(path_and_query, Some(&self.token)).await
    }

    pub async fn get_as(&self, path_and_query: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(format!("{}{path_and_query}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A GraphQL request with the admin token; returns the status and the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> (u16, Value) {
        self.graphql_as(query, variables, Some(&self.token)).await
    }

    pub async fn graphql_as(&self, query: &str, variables: Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("GraphQL answers JSON"))
    }
}

pub async fn add_user(db: &DatabaseConnection, id: i64, user_name: &str, role: &str, is_internal: bool) {
    let mut name = user_name.to_owned();
    if let Some(first) = name.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    users::ActiveModel {
        id: Set(id),
        name: Set(name),
        user_name: Set(user_name.to_owned()),
        email: Set(format!("{user_name}@example.com")),
        role: Set(role.to_owned()),
        is_internal: Set(is_internal),
    }
    .insert(db)
    .await
    .expect("insert user");
}

/// `YYYY-MM-DD HH:MM:SS[.f]`, UTC.
pub fn utc(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("test timestamp")
}

pub async fn add_transaction(db: &DatabaseConnection, id: i64, issued_at: &str, user_id: Option<i64>) {
    transaction::ActiveModel {
        id: Set(id),
        issued_at: Set(utc(issued_at)),
        user_id: Set(user_id),
        remote_addr: Set(None),
    }
    .insert(db)
    .await
    .expect("insert transaction");
}

pub async fn add_activity(db: &DatabaseConnection, id: i64, transaction_id: i64, verb: &str, object_type: &str) {
    activity::ActiveModel {
        id: Set(id),
        verb: Set(verb.to_owned()),
        transaction_id: Set(transaction_id),
        object_type: Set(object_type.to_owned()),
        object_id: Set(Some(id * 100)),
        data: Set(None),
        object_tx_id: Set(None),
        target_type: Set(None),
        target_id: Set(None),
        target_tx_id: Set(None),
    }
    .insert(db)
    .await
    .expect("insert activity");
}

/// Writes transaction `id` (issued at a fixed instant) by `user` with one activity `id` (object
/// `id × 100`): two statements, as an application writes them.
pub async fn write_action(db: &impl ConnectionTrait, id: i64, user: Option<i64>, verb: &str, object_type: &str) {
    let user = user.map_or("NULL".to_owned(), |user| user.to_string());
    db.execute_unprepared(&format!(
        "INSERT INTO \"transaction\" (id, issued_at, user_id) VALUES ({id}, '2026-06-12 10:00:00', {user})"
    ))
    .await
    .expect("a transaction");
    db.execute_unprepared(&format!(
        "INSERT INTO activity (id, verb, transaction_id, object_type, object_id) VALUES ({id}, '{verb}', {id}, '{object_type}', {})",
        id * 100
    ))
    .await
    .expect("an activity");
}

/// The real application over a fresh database with an Admin token, served until the test says
/// stop: the path SIGTERM takes (`app::serve`'s shutdown future), for the drain's tests.
pub struct StoppableApp {
    pub address: String,
    pub token: String,
    /// Kept for the test's length: dropping it removes the database.
    _test_db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl StoppableApp {
    pub async fn spawn() -> StoppableApp {
        let test_db = TestDb::new().await;
        add_user(&test_db.db, ADMIN_ID, "admin", "Admin", false).await;
        let token = tokens::create(&test_db.db, "admin", "tests", None).await.expect("admin token").secret;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app::serve(listener, AppState::new(test_db.db.clone()), async {
            let _ = stopped.await;
        }));
        StoppableApp { address, token, _test_db: test_db, stop: Some(stop), server }
    }

    /// Begins the drain.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to have stopped, failing the test past `within`.
    pub async fn stopped_within(self, within: std::time::Duration) {
        tokio::time::timeout(within, self.server).await.expect("the server stops").expect("joined").expect("served");
    }
}

/// Waits until every row written so far is final for the live feed, so a feed opening "from now"
/// starts after them. On PostgreSQL that is when every older writing transaction of the cluster
/// has ended (other tests' included); on SQLite a committed row is final.
pub async fn wait_until_final(db: &DatabaseConnection) {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let written_rows_final = "SELECT CAST(CASE WHEN pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
         > COALESCE((SELECT MAX(xid) FROM activity_feed), 0) THEN 1 ELSE 0 END AS BIGINT)";
    let started = std::time::Instant::now();
    while scalar(db, written_rows_final).await == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "rows still not final after a minute");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// bob, carol and svc (internal), for the live feed's tests.
pub async fn live_users(app: &TestApp) {
    add_user(app.db(), BOB, "bob", "Member", false).await;
    add_user(app.db(), CAROL, "carol", "Member", false).await;
    add_user(app.db(), SVC, "svc", "Member", true).await;
}

pub const BOB: i64 = 2;
pub const CAROL: i64 = 3;
pub const SVC: i64 = 4;
pub const DAVE: i64 = 5;

/// The handmade log most tests read. Hand-computed figures are in the tests; the layout:
///
/// | tx | issued_at (UTC)         | user        | activities                                  |
/// |----|-------------------------|-------------|---------------------------------------------|
/// | 1  | 2026-06-04 09:00:00     | bob         | 1 create Datastore, 2 update QualityCheck    |
/// | 2  | 2026-06-04 10:00:00     | svc (int.)  | 3 run QualityCheck                           |
/// | 3  | 2026-06-05 12:00:00     | (deleted)   | 4 delete Anomaly                             |
/// | 4  | 2026-06-08 08:00:00     | carol       | 5 update Anomaly                             |
/// | 5  | 2026-06-08 08:00:00     | bob         | 6 update Anomaly (same instant as tx 4)      |
/// | 6  | 2026-06-10 23:30:00     | svc (int.)  | 7 run Datastore, 8 run Datastore             |
/// | 7  | 2026-06-11 03:00:00     | carol       | 9 create QualityCheck                        |
/// | 8  | 2026-06-03 23:59:59.5   | bob         | 10 archive Tag                               |
/// | 9  | 2026-06-09 18:30:00     | carol       | 11 update Field                              |
///
/// Users: 1 admin (Admin, no actions), 2 bob, 3 carol, 4 svc (internal), 5 dave (Manager).
pub async fn handmade_log(db: &DatabaseConnection) {
    add_user(db, BOB, "bob", "Member", false).await;
    add_user(db, CAROL, "carol", "Member", false).await;
    add_user(db, SVC, "svc", "Member", true).await;
    add_user(db, DAVE, "dave", "Manager", false).await;
    let transactions: [(i64, &str, Option<i64>); 9] = [
        (1, "2026-06-04 09:00:00", Some(BOB)),
        (2, "2026-06-04 10:00:00", Some(SVC)),
        (3, "2026-06-05 12:00:00", None),
        (4, "2026-06-08 08:00:00", Some(CAROL)),
        (5, "2026-06-08 08:00:00", Some(BOB)),
        (6, "2026-06-10 23:30:00", Some(SVC)),
        (7, "2026-06-11 03:00:00", Some(CAROL)),
        (8, "2026-06-03 23:59:59.5", Some(BOB)),
        (9, "2026-06-09 18:30:00", Some(CAROL)),
    ];
    for (id, at, user) in transactions {
        add_transaction(db, id, at, user).await;
    }
    let activities = [
        (1, 1, "create", "Datastore"),
        (2, 1, "update", "QualityCheck"),
        (3, 2, "run", "QualityCheck"),
        (4, 3, "delete", "Anomaly"),
        (5, 4, "update", "Anomaly"),
        (6, 5, "update", "Anomaly"),
        (7, 6, "run", "Datastore"),
        (8, 6, "run", "Datastore"),
        (9, 7, "create", "QualityCheck"),
        (10, 8, "archive", "Tag"),
        (11, 9, "update", "Field"),
    ];
    for (id, tx, verb, object_type) in activities {
        add_activity(db, id, tx, verb, object_type).await;
    }
}

/// `[(date, user_count, system_count)]` of an insights body (REST or GraphQL).
pub fn days(body: &Value) -> Vec<(String, i64, i64)> {
    let list = body.get("actions_per_day").or_else(|| body.get("actionsPerDay")).expect("actions per day");
    list.as_array()
        .expect("array")
        .iter()
        .map(|d| {
            let count = |snake: &str, camel: &str| {
                d.get(snake).or_else(|| d.get(camel)).and_then(Value::as_i64).expect("count")
            };
            (
                d["date"].as_str().expect("date").to_owned(),
                count("user_count", "userCount"),
                count("system_count", "systemCount"),
            )
        })
        .collect()
}

/// The non-zero days of a chart, as `(MM-DD, user, system)`, to keep expectations short.
pub fn busy_days(body: &Value) -> Vec<(String, i64, i64)> {
    days(body).into_iter().filter(|(_, u, s)| u + s > 0).map(|(d, u, s)| (d[5..].to_owned(), u, s)).collect()
}

pub fn day(date: &str, user: i64, system: i64) -> (String, i64, i64) {
    (date.to_owned(), user, system)
}

/// The dashboard document a frontend sends: cards, chart and a page, one `$filter`.
pub const DASHBOARD: &str = r#"
query Dashboard($filter: ActivityFilter, $page: PageInput) {
  activityInsights(filter: $filter) {
    uniqueActors totalActions
    topActor { id name userName email actionCount }
    topEntityType { objectType count }
    actionsPerDay { date userCount systemCount }
  }
  activity(filter: $filter, page: $page) {
    total page size pages
    items { id verb objectType objectId transaction { id issuedAt user { id name userName email } } }
  }
}"#;

/// Runs `read` on a fresh snapshot of `db` and ends it, as a request does. (A snapshot left to be
/// dropped ends only when the runtime gets to it, which a test's teardown may not let it do.)
pub async fn read<T>(db: &DatabaseConnection, read: impl AsyncFnOnce(&Snapshot) -> T) -> T {
    let snapshot = Snapshot::new(db);
    let result = read(&snapshot).await;
    snapshot.finish().await;
    result
}

/// The one integer `sql` selects.
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(statement).await.unwrap_or_else(|e| panic!("{sql}: {e}")).expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// How many planner statistics the database keeps for `table` (columns on PostgreSQL, indexes on
/// SQLite): none until something analyzes it.
pub async fn statistics(db: &DatabaseConnection, table: &str) -> i64 {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            format!("SELECT COUNT(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = '{table}'")
        }
        _ => {
            // The table SQLite keeps them in exists once something has analyzed.
            if scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").await == 0 {
                return 0;
            }
            format!("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = '{table}'")
        }
    };
    scalar(db, &sql).await
}
