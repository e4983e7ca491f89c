//! The gateway beside PostGraphile: the same questions asked of both over the same seeded
//! PostgreSQL log, alternating, and the gateway's throughput as a ratio of PostGraphile's.
//!
//! Run it by hand (it is not part of CI: it needs Node.js and a PostgreSQL log of a million
//! activities, and takes about six minutes with the defaults):
//!
//! ```text
//! cd benches/postgraphile && npm ci && cd -
//! cargo bench --bench versus -- [--database-url URL] [--seconds 8] [--rounds 3] [--clients 1,16] [--only total]
//! ```
//!
//! What it does:
//!
//! 1. connects to `DATABASE_URL` (PostgreSQL only; default `audit_bench_1m` on 127.0.0.1),
//!    migrates, and seeds the log unless it already has activities, then `VACUUM ANALYZE`
//!    (`--actions`, `--users`, `--days`, `--seed`, `--end-date`; with `--binary` an earlier build
//!    owns the schema and nothing is migrated, as in `benches/http.rs`);
//! 2. creates an Admin token for user 1;
//! 3. runs both servers as child processes on loopback ports, so each one's peak RSS (`VmHWM`,
//!    reset per shape) is its own: `audit-gateway serve` (the binary Cargo built for this bench,
//!    or `--binary`), its log in a temporary file; and PostGraphile (`--postgraphile-dir`, the
//!    pinned `postgraphile` of `benches/postgraphile/package.json`) as
//!    `node node_modules/postgraphile/cli.js -c URL --schema public --host 127.0.0.1 --port PORT
//!    --disable-query-log` with `NODE_ENV=production`, its output in a temporary file;
//! 4. sends each shape once to each server and checks that both answer 200 without an `errors`
//!    member; prints (does not assert) whether their totals agree and whether the first page
//!    holds the same 50 activities;
//! 5. warms each server up per shape, then for each round, shape and client count measures the
//!    gateway and PostGraphile one after the other for `--seconds` each, the gateway first in odd
//!    rounds and PostGraphile first in even ones, so neither always meets a warmer cache or a
//!    busier disk;
//! 6. prints Markdown: per shape and client count each run's successful requests per second, the
//!    ratio (the sum of the gateway's runs over the sum of PostGraphile's), each run's p50 and the
//!    worst run's p99, the errors (a non-2xx answer or an `errors` member: a run with errors says
//!    so next to its rate), and each server's peak RSS per shape.
//!
//! The shapes, each the gateway's request and PostGraphile's equivalent (`POST /graphql`):
//!
//! 1. *newest 50 + transaction + user*: `activityConnection(first: 50)` with each activity's
//!    transaction and user, against `allActivities(first: 50, orderBy: ID_DESC)` with
//!    `transactionByTransactionId { userByUserId }`; no count;
//! 2. *newest 50 + total*: the same pages with `totalCount`;
//! 3. *total alone*: `activityConnection(first: 1) { totalCount }` against
//!    `allActivities { totalCount }`.
//!
//! There is no "total + top actor" shape (`activityInsights { totalActions topActor }`):
//! PostGraphile cannot ask for it reasonably, even with `@graphile/pg-aggregates`. The top actor
//! counts activities per user, and a user is two relations away from an activity (activity →
//! transaction → users). pg-aggregates groups a table by its own columns (so it can count
//! activities per transaction, or transactions per user) and orders a table by an aggregate of a
//! relation one step away (users by their number of transactions), and its grouped aggregates
//! can be neither ordered nor limited: the answer would be a different question (the user with
//! the most transactions), or every user's count for the client to sort, or a SQL function added
//! to the schema under test, which is writing the gateway's query by hand.
//!
//! PostGraphile runs as its CLI runs by default apart from two settings a production deployment
//! makes: `--disable-query-log`, because its default logs every query to the console, which the
//! bench would measure as well; and `NODE_ENV=production`, which turns off graphql-js's
//! development checks. It is one Node.js process (its default; `--cluster-workers` would fork
//! more) with its default pool of 10 connections, and no JWT secret, so it authenticates
//! nothing and is sent no token.
//!
//! What else differs, and is part of what is measured:
//! - ordering: the gateway lists newest first by the transaction's `issued_at`, then the
//!   activity's id, both descending (a join through `transaction`); PostGraphile by the
//!   activity's id alone, descending (the primary key). On the seeded log the two orders pick the
//!   same first page, which step 4 reports;
//! - the gateway checks every request's bearer token (an Admin's, neither expired nor revoked:
//!   an `api_token` look-up, or a token it verified moments ago), writes an access log line per
//!   request (to its log file), and runs its statements with `jit = off` and
//!   `plan_cache_mode = force_custom_plan` on a pool of 16 connections;
//! - the totals: the gateway sums its rollup tables (counts the log's triggers maintain; an
//!   unfiltered total is always answered from them), PostGraphile runs `count(*)` over the
//!   activities.
//!
//! All three processes (and PostgreSQL, and the load generator in this process) share the
//! machine's cores, so the numbers are for comparing the two servers with each other on one
//! machine in one run, not absolute capacities.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use audit_gateway::db::{self, DbConfig};
use audit_gateway::tokens;
use clap::Parser;
use serde_json::Value;
use support::{Limits, Point, Request, Server, free_port, http_call, measure, parallelism, rate, scalar};

/// Measures the gateway beside PostGraphile on the same PostgreSQL log.
#[derive(Debug, Parser)]
struct Args {
    /// The PostgreSQL database to benchmark (seeded if its log is empty).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/audit_bench_1m")]
    database_url: String,
    /// The data set seeded when the log is empty.
    #[command(flatten)]
    data: support::DataSet,
    /// Seconds per run (one server, one shape, one client count).
    #[arg(long, default_value_t = 8.0)]
    seconds: f64,
    /// Runs per server, shape and client count (alternating which server goes first).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Concurrency levels.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    clients: Vec<usize>,
    /// The gateway to measure instead of the one Cargo built with this bench (an earlier build).
    /// Its version owns the schema, so the bench then migrates nothing.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Run only the shapes whose name contains one of these words.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The folder of PostGraphile's package.json, where `npm ci` installed it.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/postgraphile"))]
    postgraphile_dir: PathBuf,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One question, as each server is asked it.
struct Shape {
    name: &'static str,
    gateway: Request,
    postgraphile: Request,
}

fn shapes() -> Vec<Shape> {
    let gateway_page = "pageInfo { hasNextPage endCursor } edges { node { id verb objectType objectId \
                        transaction { id issuedAt user { id name userName email isInternal } } } }";
    let postgraphile_page = "pageInfo { hasNextPage endCursor } nodes { id verb objectType objectId \
                             transactionByTransactionId { id issuedAt userByUserId { id name userName email isInternal } } }";
    let graphql = |query: String| Request::graphql(&query, serde_json::json!({}));
    vec![
        Shape {
            name: "1. newest 50 + transaction + user",
            gateway: graphql(format!("{{ activityConnection(first: 50) {{ {gateway_page} }} }}")),
            postgraphile: graphql(format!(
                "{{ allActivities(first: 50, orderBy: ID_DESC) {{ {postgraphile_page} }} }}"
            )),
        },
        Shape {
            name: "2. newest 50 + total",
            gateway: graphql(format!("{{ activityConnection(first: 50) {{ totalCount {gateway_page} }} }}")),
            postgraphile: graphql(format!(
                "{{ allActivities(first: 50, orderBy: ID_DESC) {{ totalCount {postgraphile_page} }} }}"
            )),
        },
        Shape {
            name: "3. total alone",
            gateway: graphql("{ activityConnection(first: 1) { totalCount } }".to_owned()),
            postgraphile: graphql("{ allActivities { totalCount } }".to_owned()),
        },
    ]
}

/// The two servers, in the order of [`Side::BOTH`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Gateway,
    PostGraphile,
}

impl Side {
    const BOTH: [Side; 2] = [Side::Gateway, Side::PostGraphile];

    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Side::Gateway => "gateway",
            Side::PostGraphile => "PostGraphile",
        }
    }
}

/// What one run of one server recorded.
struct Run {
    /// Successful requests per second.
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

impl Run {
    fn of(point: &Point) -> Run {
        Run {
            rate: point.throughput(),
            p50: point.percentile(0.5).unwrap_or_default(),
            p99: point.percentile(0.99).unwrap_or_default(),
            errors: point.errors,
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let url = args.database_url.clone();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        eprintln!(
            "versus compares the gateway with PostGraphile, which serves only PostgreSQL: \
             --database-url (or DATABASE_URL) must be a postgres:// URL, not {url:?}"
        );
        std::process::exit(2);
    }
    let cli = args.postgraphile_dir.join("node_modules/postgraphile/cli.js");
    if !cli.is_file() {
        eprintln!(
            "PostGraphile is not installed: {} is missing. Install the pinned version first:\n  cd {} && npm ci",
            cli.display(),
            args.postgraphile_dir.display()
        );
        std::process::exit(2);
    }
    let postgraphile_version = package_version(&args.postgraphile_dir.join("node_modules/postgraphile/package.json"));
    let node_version = Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| {
            eprintln!("cannot run `node --version`: PostGraphile needs Node.js (20 or later) on the PATH");
            std::process::exit(2);
        });
    let seconds = Duration::from_secs_f64(args.seconds);
    // Time ends a run, not a request count.
    let limits = Limits { seconds, max_requests: usize::MAX };
    let warm_up = Limits { seconds: seconds.min(Duration::from_secs(2)), max_requests: usize::MAX };

    // 1. The data set.
    let db = db::connect(&DbConfig::new(url.clone())).await.expect("cannot connect to DATABASE_URL");
    if args.binary.is_none() {
        db::migrate(&db).await.expect("cannot migrate the benchmark database");
    }
    let seed_line = support::seed_if_empty(&db, &args.data.config()).await;
    let activities = scalar::<i64>(&db, "SELECT COUNT(*) FROM activity").await;
    let transactions = scalar::<i64>(&db, "SELECT COUNT(*) FROM \"transaction\"").await;
    let server_version = scalar::<String>(&db, "SHOW server_version").await;

    // 2. A token for the Admin.
    let token = tokens::create(&db, "1", "versus", Some(1))
        .await
        .expect("cannot create a token for user 1 (the seed's Admin)")
        .secret;
    let shapes: Vec<Shape> = shapes()
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| s.name.contains(o.as_str())))
        .collect();
    assert!(!shapes.is_empty(), "--only {:?} matches no shape", args.only);

    // 3. The servers.
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("HTTP client");
    let gateway_port = free_port();
    let gateway_log = std::env::temp_dir().join("audit-gateway-versus-gateway.log");
    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_audit-gateway")));
    let mut gateway = Server::gateway(&binary, &url, gateway_port, &gateway_log);
    let postgraphile_port = free_port();
    let postgraphile_log = std::env::temp_dir().join("audit-gateway-versus-postgraphile.log");
    let mut postgraphile =
        Server::start("PostGraphile", postgraphile_command(&cli, &url, postgraphile_port, &postgraphile_log));
    let bases = [format!("http://127.0.0.1:{gateway_port}"), format!("http://127.0.0.1:{postgraphile_port}")];
    gateway.wait_ready(&client, &bases[0], &Request::Get("/readyz".into()), Duration::from_secs(10)).await;
    postgraphile
        .wait_ready(&client, &bases[1], &Request::graphql("{ __typename }", Value::Null), Duration::from_secs(60))
        .await;
    let started_peaks = [gateway.peak_rss_mib(), postgraphile.peak_rss_mib()];
    let token_of = |side: Side| match side {
        Side::Gateway => Some(token.as_str()),
        Side::PostGraphile => None,
    };
    let request_of = |shape: &Shape, side: Side| match side {
        Side::Gateway => shape.gateway.clone(),
        Side::PostGraphile => shape.postgraphile.clone(),
    };
    eprintln!(
        "{} shapes on {activities} activities / {transactions} transactions, clients {:?}, {} rounds of {} s; \
         logs: {} and {}",
        shapes.len(),
        args.clients,
        args.rounds,
        args.seconds,
        gateway_log.display(),
        postgraphile_log.display()
    );

    // 4. One request per shape to each server: both must answer, and should agree.
    let mut checks = Vec::new();
    for shape in &shapes {
        let mut answers = Vec::new();
        for side in Side::BOTH {
            let answer = answer(&client, &bases[side.index()], token_of(side), &request_of(shape, side)).await;
            answers.push(answer.unwrap_or_else(|e| panic!("{}: {} failed the check: {e}", shape.name, side.name())));
        }
        checks.extend(compare(shape.name, &answers[0], &answers[1]));
    }

    // 5. The runs.
    let max_clients = args.clients.iter().copied().max().unwrap_or(1);
    // runs[shape][clients][side]
    let mut runs: Vec<Vec<[Vec<Run>; 2]>> =
        shapes.iter().map(|_| args.clients.iter().map(|_| [Vec::new(), Vec::new()]).collect()).collect();
    let mut peaks: Vec<[Option<f64>; 2]> = vec![[None, None]; shapes.len()];
    for round in 1..=args.rounds {
        let order = if round % 2 == 1 { Side::BOTH } else { [Side::PostGraphile, Side::Gateway] };
        for (s, shape) in shapes.iter().enumerate() {
            gateway.reset_peak();
            postgraphile.reset_peak();
            let calls = Side::BOTH
                .map(|side| http_call(&client, &bases[side.index()], token_of(side), &request_of(shape, side)));
            if round == 1 {
                for side in order {
                    let point = measure(max_clients, &warm_up, calls[side.index()].clone()).await;
                    eprintln!(
                        "warm-up · {} · {}: {} req/s, {} errors",
                        shape.name,
                        side.name(),
                        rate(point.throughput()),
                        point.errors
                    );
                }
            }
            for (c, &clients) in args.clients.iter().enumerate() {
                for side in order {
                    let point = measure(clients, &limits, calls[side.index()].clone()).await;
                    let run = Run::of(&point);
                    eprintln!(
                        "round {round}/{} · {} · {clients} clients · {}: {} req/s, p50 {} ms, p99 {} ms, {} errors",
                        args.rounds,
                        shape.name,
                        side.name(),
                        rate(run.rate),
                        ms(run.p50),
                        ms(run.p99),
                        run.errors
                    );
                    runs[s][c][side.index()].push(run);
                }
            }
            for (side, server) in Side::BOTH.into_iter().zip([&gateway, &postgraphile]) {
                let peak = &mut peaks[s][side.index()];
                *peak = match (*peak, server.peak_rss_mib()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
        }
    }
    gateway.stop();
    postgraphile.stop();

    // 6. The tables.
    let command: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").map(|a| quoted(&a)).collect();
    let command = if command.is_empty() {
        "cargo bench --bench versus".to_owned()
    } else {
        format!("cargo bench --bench versus -- {}", command.join(" "))
    };
    let gateway_build = match &args.binary {
        Some(path) => format!("`{}`", path.display()),
        None => "this build".to_owned(),
    };
    println!();
    println!(
        "### {activities} activities, {transactions} transactions, PostgreSQL {server_version} ({} cores, {})",
        parallelism(),
        support::cpu_model()
    );
    println!();
    println!("`{command}`");
    println!();
    println!(
        "Gateway: {gateway_build}. PostGraphile {postgraphile_version} on Node.js {node_version} \
         (`--disable-query-log`, `NODE_ENV=production`, one process). {} rounds of {} s per server, shape and \
         client count, the gateway first in odd rounds, PostGraphile first in even ones.",
        args.rounds, args.seconds
    );
    println!();
    if let Some(line) = seed_line {
        println!("{line}");
        println!();
    }
    println!("Checks (one request per shape to each server before measuring; both answered 200 without errors):");
    println!();
    for line in &checks {
        println!("- {line}");
    }
    println!();
    println!(
        "| shape | clients | gateway req/s (runs) | PostGraphile req/s (runs) | gateway ÷ PostGraphile \
         | gateway p50 ms (runs) | PostGraphile p50 ms (runs) | gateway p99 ms (worst run) \
         | PostGraphile p99 ms (worst run) | errors (gateway / PostGraphile) |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (s, shape) in shapes.iter().enumerate() {
        for (c, clients) in args.clients.iter().enumerate() {
            let [gateway_runs, postgraphile_runs] = &runs[s][c];
            let sum = |runs: &[Run]| runs.iter().map(|r| r.rate).sum::<f64>();
            let ratio = if sum(postgraphile_runs) > 0.0 {
                format!("{:.2}", sum(gateway_runs) / sum(postgraphile_runs))
            } else {
                "–".to_owned()
            };
            let rates = |runs: &[Run]| {
                runs.iter()
                    .map(|r| {
                        if r.errors > 0 { format!("{} (**{} errors**)", rate(r.rate), r.errors) } else { rate(r.rate) }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let p50s = |runs: &[Run]| runs.iter().map(|r| ms(r.p50)).collect::<Vec<_>>().join(", ");
            let worst_p99 = |runs: &[Run]| runs.iter().map(|r| r.p99).max().map_or_else(|| "–".to_owned(), ms);
            let errors = |runs: &[Run]| runs.iter().map(|r| r.errors).sum::<usize>();
            println!(
                "| {} | {clients} | {} | {} | {ratio} | {} | {} | {} | {} | {} / {} |",
                shape.name,
                rates(gateway_runs),
                rates(postgraphile_runs),
                p50s(gateway_runs),
                p50s(postgraphile_runs),
                worst_p99(gateway_runs),
                worst_p99(postgraphile_runs),
                errors(gateway_runs),
                errors(postgraphile_runs),
            );
        }
    }
    println!();
    let mib = |p: Option<f64>| p.map_or_else(|| "–".to_owned(), |p| format!("{p:.0}"));
    println!("| peak RSS MiB | gateway | PostGraphile |");
    println!("|---|--:|--:|");
    println!("| after start, before any request | {} | {} |", mib(started_peaks[0]), mib(started_peaks[1]));
    for (s, shape) in shapes.iter().enumerate() {
        println!("| {} | {} | {} |", shape.name, mib(peaks[s][0]), mib(peaks[s][1]));
    }
}

/// `node …/postgraphile/cli.js` serving `url`'s `public` schema on `127.0.0.1:port`, its output
/// (the start banner, warnings) to `log`.
fn postgraphile_command(cli: &Path, url: &str, port: u16, log: &Path) -> Command {
    let log = std::fs::File::create(log).expect("cannot create PostGraphile's log");
    let stderr = log.try_clone().expect("cannot share PostGraphile's log");
    let mut command = Command::new("node");
    command
        .arg(cli)
        .args(["-c", url, "--schema", "public", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--disable-query-log")
        .env("NODE_ENV", "production")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr);
    command
}

/// One request's JSON answer, or why it does not count: not 2xx, not JSON, or an `errors` member.
async fn answer(client: &reqwest::Client, base: &str, token: Option<&str>, request: &Request) -> Result<Value, String> {
    let response = request.send(client, base, token).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    let excerpt: String = body.chars().take(600).collect();
    if !status.is_success() {
        return Err(format!("HTTP {status}: {excerpt}"));
    }
    let json: Value = serde_json::from_str(&body).map_err(|e| format!("not JSON ({e}): {excerpt}"))?;
    if json.get("errors").is_some() {
        return Err(format!("an `errors` member: {excerpt}"));
    }
    Ok(json)
}

/// What the two answers to one shape say about each other: their totals, and their pages' ids.
fn compare(shape: &str, gateway: &Value, postgraphile: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let total_of = |v: &Value, pointer: &str| v.pointer(pointer).and_then(Value::as_i64);
    match (
        total_of(gateway, "/data/activityConnection/totalCount"),
        total_of(postgraphile, "/data/allActivities/totalCount"),
    ) {
        (Some(g), Some(p)) if g == p => lines.push(format!("{shape}: the totals agree ({g})")),
        (Some(g), Some(p)) => lines.push(format!("{shape}: the totals **differ**: gateway {g}, PostGraphile {p}")),
        (None, None) => {}
        (g, p) => lines.push(format!("{shape}: a total is missing: gateway {g:?}, PostGraphile {p:?}")),
    }
    let ids_of = |v: &Value, list: &str, id: &str| -> Option<Vec<String>> {
        v.pointer(list)?.as_array()?.iter().map(|item| item.pointer(id).map(id_text)).collect()
    };
    let page = (
        ids_of(gateway, "/data/activityConnection/edges", "/node/id"),
        ids_of(postgraphile, "/data/allActivities/nodes", "/id"),
    );
    if let (Some(g), Some(p)) = page {
        let same = g.iter().filter(|id| p.contains(id)).count();
        if same == g.len() && g.len() == p.len() {
            let order = if g == p { "in the same order" } else { "in a different order" };
            lines.push(format!("{shape}: the {} ids are the same set on both, {order}", g.len()));
        } else {
            lines.push(format!(
                "{shape}: the pages **differ**: {same} of the gateway's {} ids are among PostGraphile's {}",
                g.len(),
                p.len()
            ));
        }
    }
    lines
}

/// An id as text, whether the answer wrote it as a string (`ID`, PostGraphile's `BigInt`) or a number.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `version` of an installed package.json, or "?".
fn package_version(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|json| json.get("version").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

/// An argument as a shell would need it written.
fn quoted(arg: &str) -> String {
    if arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_=.,/:@+".contains(c)) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
