//! The HTTP benchmark: the gateway's answer times per query shape, over loopback HTTP, against the
//! raw SQL floor of the same statements (issue 4; the results live in BENCHMARKS.md).
//!
//! `cargo bench --bench http -- [--database-url URL] [--actions N] [--quick]` (a `harness = false`
//! bench, so Cargo builds the gateway binary and this program in release mode together):
//!
//! 1. connects to `DATABASE_URL`, migrates, and seeds the data set unless the log already has
//!    activities (`--actions`, `--users`, `--seed`; the windows end on the log's last day);
//! 2. creates an Admin token for the seed's first user;
//! 3. runs the real server as a child process (`audit-gateway serve`, the binary Cargo built for
//!    this bench, or with `--binary` an earlier build, whose version then owns the schema: the bench
//!    migrates nothing, and the floors of step 5 remain this version's statements), so its peak RSS (`VmHWM`, reset per shape through `/proc/PID/clear_refs`) is the
//!    server's alone and the load generator does not share its runtime;
//! 4. runs a second, in-process copy of the app whose connection has a SeaORM metric callback, and
//!    sends it one request per shape to capture the exact statements it issues (with their timing,
//!    so statements the gateway ran side by side are replayed side by side);
//! 5. per shape: latency with one client, throughput and p99 at 16 and 64 clients (each point
//!    bounded by time and count), and the raw SQL floor: the captured statements replayed through
//!    the driver on a plain connection, no HTTP, no GraphQL, no JSON;
//! 6. prints Markdown tables.
//!
//! `--quick` uses a temporary SQLite file (unless `DATABASE_URL` is set) with 20,000 activities,
//! 0.1 s points and 4 concurrent clients: CI runs it so the harness cannot rot; it checks that the
//! table comes out, not how fast.

mod support;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audit_gateway::app;
use audit_gateway::db::{self, DbConfig};
use audit_gateway::state::AppState;
use audit_gateway::tokens;
use chrono::NaiveDate;
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use support::{Call, Limits, Point, Request, Server, free_port, http_call, measure, parallelism, rate, scalar, send};

/// Benchmarks the gateway per query shape against the raw SQL floor.
#[derive(Debug, Parser)]
struct Args {
    /// Database to benchmark (seeded if its log is empty). Default: a temporary SQLite file.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Small data set and short points: checks that the harness runs, not speed.
    #[arg(long)]
    quick: bool,
    /// The data set seeded when the log is empty.
    #[command(flatten)]
    data: support::DataSet,
    /// Seconds per measurement point (one client, 16, 64, floor).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Requests at most per measurement point.
    #[arg(long, default_value_t = 2_000)]
    max_requests: usize,
    /// Concurrency levels.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    clients: Vec<usize>,
    /// Run only the shapes whose name contains one of these words.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Write each shape's captured SQL (values inlined) to this file, for EXPLAIN ANALYZE.
    #[arg(long)]
    sql_out: Option<PathBuf>,
    /// The gateway to measure instead of the one Cargo built with this bench: an earlier build,
    /// to compare versions on the same shapes in one run. Its version owns the schema, so the
    /// bench then migrates nothing (the database must be migrated and seeded by it).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One request shape of issue 4.
struct Shape {
    name: &'static str,
    request: Request,
}

const PAGE_FIELDS: &str = "total pages items { id verb objectType objectId \
                           transaction { id issuedAt user { id name userName email } } }";
const INSIGHTS_FIELDS: &str = "totalActions uniqueActors topActor { id userName actionCount } \
                               topEntityType { objectType count } actionsPerDay { date userCount systemCount }";

fn shapes(end: NaiveDate, users: &[i64], deep_cursor: &str) -> Vec<Shape> {
    let users_query: String = users.iter().map(|u| format!("&users={u}")).collect();
    let list = format!(
        "query List($filter: ActivityFilter, $page: PageInput) {{ activity(filter: $filter, page: $page) {{ {PAGE_FIELDS} }} }}"
    );
    let dashboard = format!(
        "query Dashboard($filter: ActivityFilter) {{ activityInsights(filter: $filter) {{ {INSIGHTS_FIELDS} }} \
         activity(filter: $filter, page: {{ size: 50 }}) {{ {PAGE_FIELDS} }} }}"
    );
    // The audit page: cards, a weekly chart and the first page, in the viewer's zone.
    let zone_dashboard = format!(
        "query ZoneDashboard($filter: ActivityFilter) {{ activityInsights(filter: $filter) {{ {INSIGHTS_FIELDS} \
         chart(interval: WEEK) {{ start firstDay lastDay userCount systemCount }} }} \
         activity(filter: $filter, page: {{ size: 50 }}) {{ {PAGE_FIELDS} }} }}"
    );
    let connection = "query Connection($filter: ActivityFilter, $after: String) { \
                      activityConnection(filter: $filter, first: 50, after: $after) { \
                      edges { cursor node { id verb objectType objectId transaction { id issuedAt user { id userName } } } } \
                      pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let chart = |interval: &str| {
        format!(
            "query Chart($filter: ActivityFilter) {{ activityInsights(filter: $filter) {{ totalActions \
             chart(interval: {interval}) {{ start firstDay lastDay userCount systemCount }} }} }}"
        )
    };
    let filter = |timeframe: &str| serde_json::json!({ "timeframe": timeframe, "endDate": end.to_string() });
    let in_berlin = |timeframe: &str| serde_json::json!({ "timeframe": timeframe, "endDate": end.to_string(), "timeZone": "Europe/Berlin" });
    let filtered = serde_json::json!({
        "timeframe": "YEAR", "endDate": end.to_string(), "users": users, "actions": ["update", "delete"],
    });
    let in_berlin_filtered = |timeframe: &str| {
        serde_json::json!({
            "timeframe": timeframe, "endDate": end.to_string(), "timeZone": "Europe/Berlin",
            "users": users, "actions": ["update", "delete"],
        })
    };
    // The audit page's own request, the document it sends (web/src/graphql/), for a year in Berlin.
    let audit_page = format!(
        "{}\n{}",
        include_str!("../web/src/graphql/dashboard.graphql"),
        include_str!("../web/src/graphql/log-page.graphql")
    );
    let audit_page_variables = serde_json::json!({
        "filter": { "timeframe": "YEAR", "endDate": end.to_string(), "timeZone": "Europe/Berlin", "includeInternal": true },
        "interval": "MONTH",
        "first": 50,
    });
    // A window inside one calendar month (the 5th to the 24th of the last one).
    let end_minus_six = end - chrono::Days::new(6);
    let twenty_days_before = end_minus_six - chrono::Days::new(19);
    vec![
        Shape {
            name: "1. week, first page (GraphQL)",
            request: Request::graphql(
                &list,
                serde_json::json!({ "filter": filter("WEEK"), "page": { "page": 1, "size": 50 } }),
            ),
        },
        Shape {
            name: "1. week, first page (REST)",
            request: Request::Get(format!("/api/activity?timeframe=week&end_date={end}&page=1&size=50")),
        },
        Shape {
            name: "2. year, page 1000 (REST)",
            request: Request::Get(format!("/api/activity?timeframe=year&end_date={end}&page=1000&size=50")),
        },
        Shape {
            name: "3. insights, month (REST)",
            request: Request::Get(format!("/api/activity/insights?timeframe=month&report_date={end}")),
        },
        Shape {
            name: "3. insights, year (REST)",
            request: Request::Get(format!("/api/activity/insights?timeframe=year&report_date={end}")),
        },
        Shape {
            name: "4. dashboard, year (GraphQL)",
            request: Request::graphql(&dashboard, serde_json::json!({ "filter": filter("YEAR") })),
        },
        Shape {
            name: "5. year, 3 users + 2 verbs, list (GraphQL)",
            request: Request::graphql(
                &list,
                serde_json::json!({ "filter": filtered, "page": { "page": 1, "size": 50 } }),
            ),
        },
        Shape {
            name: "5. year, 3 users + 2 verbs, insights (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?timeframe=year&report_date={end}{users_query}&actions=update&actions=delete"
            )),
        },
        Shape {
            name: "6. year, first page (REST)",
            request: Request::Get(format!("/api/activity?timeframe=year&end_date={end}&page=1&size=50")),
        },
        Shape {
            name: "6. all time, total only (GraphQL)",
            request: Request::graphql("{ activity { total } }", serde_json::json!({})),
        },
        Shape {
            name: "6. insights, year, offset 300 (REST)",
            request: Request::Get(format!("/api/activity/insights?timeframe=year&report_date={end}&offset=300")),
        },
        Shape {
            name: "6. insights, year, offset -345 (REST)",
            request: Request::Get(format!("/api/activity/insights?timeframe=year&report_date={end}&offset=-345")),
        },
        Shape {
            name: "7. insights, year, Europe/Berlin (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?timeframe=year&report_date={end}&time_zone=Europe/Berlin"
            )),
        },
        Shape {
            name: "7. insights, year, Asia/Kathmandu (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?timeframe=year&report_date={end}&time_zone=Asia/Kathmandu"
            )),
        },
        Shape {
            name: "7. dashboard, year, Europe/Berlin, chart by week (GraphQL)",
            request: Request::graphql(&zone_dashboard, serde_json::json!({ "filter": in_berlin("YEAR") })),
        },
        Shape {
            name: "7. facets, year (REST)",
            request: Request::Get(format!("/api/activity/facets?timeframe=year&end_date={end}")),
        },
        Shape {
            name: "8. connection, year, first 50 (GraphQL)",
            request: Request::graphql(connection, serde_json::json!({ "filter": filter("YEAR") })),
        },
        Shape {
            name: "8. connection, year, after row 500,000 (GraphQL)",
            request: Request::graphql(
                connection,
                serde_json::json!({ "filter": filter("YEAR"), "after": deep_cursor }),
            ),
        },
        Shape {
            name: "8. chart by day, year, Europe/Berlin (GraphQL)",
            request: Request::graphql(&chart("DAY"), serde_json::json!({ "filter": in_berlin("YEAR") })),
        },
        Shape {
            name: "8. chart by month, year, Europe/Berlin (GraphQL)",
            request: Request::graphql(&chart("MONTH"), serde_json::json!({ "filter": in_berlin("YEAR") })),
        },
        Shape {
            name: "8. chart by hour, week, Europe/Berlin (GraphQL)",
            request: Request::graphql(&chart("HOUR"), serde_json::json!({ "filter": in_berlin("WEEK") })),
        },
        // What the per-user tables count from the log since the seventh migration: ragged ends
        // under an `actions` filter, a few users' local days and hours, partial months.
        Shape {
            name: "9. insights, year, 2 verbs, offset 300 (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?timeframe=year&report_date={end}&offset=300&actions=update&actions=delete"
            )),
        },
        Shape {
            name: "9. insights, year, 3 users + 2 verbs, Europe/Berlin (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?timeframe=year&report_date={end}{users_query}&actions=update&actions=delete\
                 &time_zone=Europe/Berlin"
            )),
        },
        Shape {
            name: "9. year, 3 users + 2 verbs, Europe/Berlin, list (GraphQL)",
            request: Request::graphql(
                &list,
                serde_json::json!({ "filter": in_berlin_filtered("YEAR"), "page": { "page": 1, "size": 50 } }),
            ),
        },
        Shape {
            name: "9. chart by hour, week, 3 users + 2 verbs, Europe/Berlin (GraphQL)",
            request: Request::graphql(&chart("HOUR"), serde_json::json!({ "filter": in_berlin_filtered("WEEK") })),
        },
        Shape {
            name: "9. insights, 20 days inside a month, 3 users (REST)",
            request: Request::Get(format!(
                "/api/activity/insights?start_date={twenty_days_before}&report_date={end_minus_six}{users_query}"
            )),
        },
        Shape {
            name: "10. audit page, year, Europe/Berlin (GraphQL)",
            request: Request::Graphql(
                serde_json::json!({ "query": audit_page, "variables": audit_page_variables, "operationName": "Dashboard" })
                    .to_string(),
            ),
        },
    ]
}

/// Statements captured from the in-process app, with when they ran.
#[derive(Clone)]
struct Captured {
    statement: Statement,
    started: Instant,
    elapsed: Duration,
}

#[tokio::main]
async fn main() {
    let mut args = Args::parse();
    if args.quick {
        args.data.actions = 20_000;
        args.data.users = 50;
        args.seconds = args.seconds.min(0.1);
        args.max_requests = args.max_requests.min(50);
        args.clients = vec![4];
    }
    let temporary = args.database_url.is_none().then(|| {
        let path = std::env::temp_dir().join(format!("audit-gateway-bench-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        path
    });
    let url = match (&args.database_url, &temporary) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}?mode=rwc", path.display()),
        (None, None) => unreachable!("a temporary file exists when no URL is given"),
    };
    let limits = Limits { seconds: Duration::from_secs_f64(args.seconds), max_requests: args.max_requests };

    let db = db::connect(&DbConfig::new(url.clone())).await.expect("cannot connect to DATABASE_URL");
    if args.binary.is_none() {
        db::migrate(&db).await.expect("cannot migrate the benchmark database");
    }
    let backend = db.get_database_backend();

    // 1. The data set.
    let seed_line = support::seed_if_empty(&db, &args.data.config()).await;
    let activities = scalar::<i64>(&db, "SELECT COUNT(*) FROM activity").await;
    let transactions = scalar::<i64>(&db, "SELECT COUNT(*) FROM \"transaction\"").await;
    let last_day = last_day(&db).await;
    let top_users = top_users(&db).await;
    let deep_cursor = deep_cursor(&db, last_day).await;
    // 2. A token for the Admin.
    let token =
        tokens::create(&db, "1", "bench", Some(1)).await.expect("cannot create a token for user 1 (the seed's Admin)");
    let token = token.secret;
    let shapes: Vec<Shape> = shapes(last_day, &top_users, &deep_cursor)
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| s.name.contains(o.as_str())))
        .collect();

    // 3. The server under test, as its own process.
    let port = free_port();
    let log = std::env::temp_dir().join("audit-gateway-bench-server.log");
    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_audit-gateway")));
    let mut server = Server::gateway(&binary, &url, port, &log);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("HTTP client");
    server.wait_ready(&client, &base, &Request::Get("/readyz".into()), Duration::from_secs(10)).await;

    // 4. The in-process copy that captures statements.
    let captured: Arc<Mutex<Vec<Captured>>> = Arc::default();
    let mut capture_db = db::connect(&DbConfig::new(url.clone())).await.expect("cannot connect (capture)");
    {
        let captured = captured.clone();
        capture_db.set_metric_callback(move |info: &sea_orm::metric::Info| {
            if let Ok(mut captured) = captured.lock() {
                captured.push(Captured {
                    statement: info.statement.clone(),
                    started: Instant::now() - info.elapsed,
                    elapsed: info.elapsed,
                });
            }
        });
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the capture server");
    let capture_base = format!("http://{}", listener.local_addr().expect("capture address"));
    tokio::spawn(app::serve(listener, AppState::new(capture_db), std::future::pending()));

    eprintln!(
        "benchmarking {} shapes on {activities} activities / {transactions} transactions ({backend:?}), \
         windows ending {last_day}, users filter {top_users:?}; server log: {}",
        shapes.len(),
        log.display()
    );
    let mut sql_out = args.sql_out.as_ref().map(|p| std::fs::File::create(p).expect("cannot create --sql-out"));
    let mut rows_out = Vec::new();
    let mut statements_out = Vec::new();
    for shape in &shapes {
        eprintln!("· {}", shape.name);
        // 5. Capture: one request, after a warm-up one.
        let _ = send(&client, &capture_base, Some(&token), &shape.request).await;
        captured.lock().expect("capture lock").clear();
        let (ok, _) = send(&client, &capture_base, Some(&token), &shape.request).await;
        // Against an earlier build's schema this version's statements may not run: that shape then
        // has no floor, and the earlier build is still measured.
        assert!(ok || args.binary.is_some(), "{}: the capture request failed", shape.name);
        let mut statements = std::mem::take(&mut *captured.lock().expect("capture lock"));
        if !ok {
            eprintln!("  this version's statements do not fit the earlier schema: no SQL floor");
            statements.clear();
        }
        if let Some(file) = sql_out.as_mut() {
            writeln!(file, "-- {}", shape.name).expect("write --sql-out");
            for c in &statements {
                writeln!(file, "{};", c.statement).expect("write --sql-out");
            }
        }

        // The raw SQL floor.
        let waves = waves(&statements);
        let sql_rows = if ok { replay(&db, &waves).await } else { 0 };
        let floor = if ok { measure(1, &limits, replay_call(&db, &waves)).await } else { Point::default() };
        let per_statement = per_statement_floor(&db, &statements, &limits).await;
        for (c, ms) in statements.iter().zip(per_statement) {
            let sql: String = c.statement.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let sql = if sql.len() > 110 { format!("{}…", &sql[..110]) } else { sql };
            statements_out.push(format!("| {} | {ms:.2} | `{}` |", shape.name, sql.replace('|', "\\|")));
        }

        // The gateway.
        server.reset_peak();
        let call = http_call(&client, &base, Some(&token), &shape.request);
        let single = measure(1, &limits, call.clone()).await;
        let mut concurrent = Vec::new();
        for &clients in &args.clients {
            let p50 = single.percentile(0.5).unwrap_or_default();
            // A point that would take minutes only measures a queue: say so instead.
            let estimate = p50.as_secs_f64() * clients as f64 / parallelism();
            if estimate > 4.0 * limits.seconds.as_secs_f64().max(5.0) {
                concurrent.push(Err(format!("skipped (~{estimate:.0} s per round)")));
                continue;
            }
            concurrent.push(Ok(measure(clients, &limits, call.clone()).await));
        }
        let peak = server.peak_rss_mib();

        let ms = |d: Option<Duration>| d.map_or_else(|| "–".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1e3));
        let gateway = single.percentile(0.5).unwrap_or_default().as_secs_f64();
        let ratio = floor
            .percentile(0.5)
            .map_or_else(|| "–".to_owned(), |floor| format!("{:.2}", gateway / floor.as_secs_f64().max(1e-9)));
        let mut row = format!(
            "| {} | {} | {sql_rows} | {} | {} | {} | {} | {ratio} |",
            shape.name,
            statements.len(),
            ms(single.percentile(0.5)),
            ms(single.percentile(0.95)),
            ms(single.percentile(0.99)),
            ms(floor.percentile(0.5)),
        );
        let mut errors = single.errors;
        for point in &concurrent {
            match point {
                Err(why) => row.push_str(&format!(" {why} | – |")),
                Ok(point) => {
                    row.push_str(&format!(" {} | {} |", rate(point.throughput()), ms(point.percentile(0.99))));
                    errors += point.errors;
                }
            }
        }
        row.push_str(&format!(" {errors} | {} |", peak.map_or_else(|| "–".to_owned(), |p| format!("{p:.0}"))));
        rows_out.push(row);
    }
    server.stop();

    // 6. The tables.
    let cpu = support::cpu_model();
    println!();
    println!("### {activities} activities, {transactions} transactions, {backend:?} ({} cores, {cpu})", parallelism());
    println!();
    if let Some(line) = seed_line {
        println!("{line}");
        println!();
    }
    print!("| shape | SQL stmts | SQL rows | p50 ms | p95 ms | p99 ms | SQL floor p50 ms | gateway ÷ floor |");
    let mut rule = String::from("|---|--:|--:|--:|--:|--:|--:|--:|");
    for clients in &args.clients {
        print!(" req/s @{clients} | p99 ms @{clients} |");
        rule.push_str("--:|--:|");
    }
    println!(" errors | server peak RSS MiB |");
    println!("{rule}--:|--:|");
    for row in rows_out {
        println!("{row}");
    }
    println!();
    println!("Statements per shape (each replayed alone through the driver, p50):");
    println!();
    println!("| shape | floor ms | SQL |");
    println!("|---|--:|---|");
    for row in statements_out {
        println!("{row}");
    }
    if let Some(path) = temporary {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

/// Groups the captured statements into waves: statements whose run times overlapped (the list's
/// count and page, run side by side) form one wave and are replayed side by side.
fn waves(captured: &[Captured]) -> Vec<Vec<Statement>> {
    let mut sorted: Vec<&Captured> = captured.iter().collect();
    sorted.sort_by_key(|c| c.started);
    let mut waves: Vec<Vec<Statement>> = Vec::new();
    let mut wave_end: Option<Instant> = None;
    for c in sorted {
        let end = c.started + c.elapsed;
        match (wave_end, waves.last_mut()) {
            (Some(current), Some(wave)) if c.started < current => {
                wave.push(c.statement.clone());
                wave_end = Some(current.max(end));
            }
            _ => {
                waves.push(vec![c.statement.clone()]);
                wave_end = Some(end);
            }
        }
    }
    waves
}

/// Runs the waves on a plain connection; returns the rows the statements returned.
async fn replay(db: &DatabaseConnection, waves: &[Vec<Statement>]) -> usize {
    let mut rows = 0;
    for wave in waves {
        let mut running = tokio::task::JoinSet::new();
        for statement in wave {
            let (db, statement) = (db.clone(), statement.clone());
            running.spawn(async move { db.query_all_raw(statement).await.map(|r| r.len()) });
        }
        while let Some(done) = running.join_next().await {
            rows += done.expect("replay task panicked").expect("a captured statement failed on replay");
        }
    }
    rows
}

/// Each statement alone, p50 in milliseconds.
async fn per_statement_floor(db: &DatabaseConnection, captured: &[Captured], limits: &Limits) -> Vec<f64> {
    let mut floors = Vec::new();
    let short = Limits { seconds: limits.seconds / 3, max_requests: limits.max_requests.min(200) };
    for c in captured {
        let waves = vec![vec![c.statement.clone()]];
        let point = measure(1, &short, replay_call(db, &waves)).await;
        floors.push(point.percentile(0.5).unwrap_or_default().as_secs_f64() * 1e3);
    }
    floors
}

fn replay_call(db: &DatabaseConnection, waves: &[Vec<Statement>]) -> Call {
    let (db, waves) = (db.clone(), Arc::new(waves.to_vec()));
    Arc::new(move || {
        let (db, waves) = (db.clone(), waves.clone());
        Box::pin(async move {
            replay(&db, &waves).await;
            true
        })
    })
}

/// The log's last day (UTC): the windows end there, so they hold data whatever the seed's end date.
async fn last_day(db: &DatabaseConnection) -> NaiveDate {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(issued_at) AS last FROM \"transaction\"",
        ))
        .await
        .expect("benchmark query failed")
        .expect("a row");
    let last: chrono::NaiveDateTime = row.try_get("", "last").expect("the log has transactions");
    last.date()
}

/// The three most active accounts: the `users` filter of shape 5.
async fn top_users(db: &DatabaseConnection) -> Vec<i64> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT user_id FROM \"transaction\" WHERE user_id IS NOT NULL \
             GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT 3",
        ))
        .await
        .expect("benchmark query failed");
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).expect("a user id")).collect()
}

/// The cursor of the year's row 500,000 (or of its middle row on a smaller log), through the
/// gateway's own list and cursor code: shape 8's deep page starts after it.
async fn deep_cursor(db: &DatabaseConnection, end: NaiveDate) -> String {
    use audit_gateway::audit::{self, Method, PageRequest, Position, Total};
    use audit_gateway::filter::{Filter, FilterInput, Purpose, Timeframe};
    let input = FilterInput { timeframe: Some(Timeframe::Year), end_date: Some(end), ..Default::default() };
    let filter = Filter::parse(input, Purpose::List, chrono::Utc::now()).expect("the year's filter");
    let first = PageRequest { page: 1, size: 1 };
    let total = audit::list_using(&audit::Snapshot::new(db), &filter, first, Total::Count, Method::Fastest)
        .await
        .expect("count")
        .total;
    let row = total.unwrap_or(0).min(1_000_000) / 2;
    let page = PageRequest { page: row + 1, size: 1 };
    let page = audit::list_using(&audit::Snapshot::new(db), &filter, page, Total::Skip, Method::Fastest)
        .await
        .expect("the deep row");
    page.items.first().map(|item| Position::of(item).cursor()).unwrap_or_default()
}
