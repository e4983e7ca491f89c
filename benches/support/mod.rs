//! What the HTTP benchmarks share (`benches/http.rs`, `benches/versus.rs`; a folder module, so
//! Cargo does not take it for a bench target of its own):
//!
//! - the load generator: a [`Request`] to send, [`send`] and [`http_call`] to send it (a 2xx
//!   answer without an `errors` member counts as a success), [`measure`] to run client loops of a
//!   [`Call`] within [`Limits`] and collect a [`Point`] (latencies, errors, wall time);
//! - a server under test as a child process ([`Server`]): started from any `Command` (the gateway
//!   through [`Server::gateway`], or another program), polled until it answers, its peak RSS read
//!   from `/proc` and reset per shape, killed when dropped;
//! - the data set: [`seed_if_empty`] seeds an empty log through `audit_gateway::seed` and refreshes
//!   the planner's statistics, [`scalar`] reads a count;
//! - small helpers for the printed tables: [`rate`], [`parallelism`], [`cpu_model`], and
//!   [`free_port`].

use std::path::Path;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use audit_gateway::seed;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// A request, ready to send: a REST path or a serialized GraphQL body.
#[derive(Clone)]
pub enum Request {
    Get(String),
    Graphql(String),
}

impl Request {
    pub fn graphql(query: &str, variables: serde_json::Value) -> Request {
        Request::Graphql(serde_json::json!({ "query": query, "variables": variables }).to_string())
    }

    /// The request to `base`, with `Authorization: Bearer <token>` when there is a token.
    pub fn send(&self, client: &reqwest::Client, base: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let request = match self {
            Request::Get(path) => client.get(format!("{base}{path}")),
            Request::Graphql(body) => {
                client.post(format!("{base}/graphql")).header(CONTENT_TYPE, "application/json").body(body.clone())
            }
        };
        match token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }
}

/// Sends one request; returns whether it succeeded (a 2xx without an `errors` member) and the
/// body's length.
pub async fn send(client: &reqwest::Client, base: &str, token: Option<&str>, request: &Request) -> (bool, usize) {
    match request.send(client, base, token).send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                // A GraphQL error still answers 200; its body has an `errors` member.
                Ok(body) => (status.is_success() && !contains(&body, b"\"errors\""), body.len()),
                Err(_) => (false, 0),
            }
        }
        Err(_) => (false, 0),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Latencies of one measurement point.
#[derive(Default)]
pub struct Point {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub wall: Duration,
}

impl Point {
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied()
    }

    /// Successful requests per second (a fast 503 is not throughput).
    pub fn throughput(&self) -> f64 {
        (self.latencies.len() - self.errors) as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// How long a point runs and how many requests it may send at most, whichever ends it first.
pub struct Limits {
    pub seconds: Duration,
    pub max_requests: usize,
}

/// A request (or a replay) to time: a future factory shared by the client loops.
pub type Call = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Runs `clients` loops of `call` until the point's time or request budget is spent, recording
/// every latency. Each loop checks the clock after each call, so a slow shape still gets one round.
pub async fn measure(clients: usize, limits: &Limits, call: Call) -> Point {
    // Warm-up: caches, connections, prepared statements.
    for _ in 0..clients.min(2) {
        call().await;
    }
    let started = Instant::now();
    let deadline = started + limits.seconds;
    let budget = Arc::new(AtomicUsize::new(limits.max_requests.max(clients)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (call, budget) = (call.clone(), budget.clone());
        tasks.spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_ok() {
                let sent = Instant::now();
                if !call().await {
                    errors += 1;
                }
                latencies.push(sent.elapsed());
                if Instant::now() >= deadline {
                    break;
                }
            }
            (latencies, errors)
        });
    }
    let mut point = Point::default();
    while let Some(done) = tasks.join_next().await {
        let (latencies, errors) = done.expect("a client loop panicked");
        point.latencies.extend(latencies);
        point.errors += errors;
    }
    point.wall = started.elapsed();
    point
}

/// `request` to `base` as a [`Call`], with the bearer token when there is one.
pub fn http_call(client: &reqwest::Client, base: &str, token: Option<&str>, request: &Request) -> Call {
    let (client, base, token, request) = (client.clone(), base.to_owned(), token.map(str::to_owned), request.clone());
    Arc::new(move || {
        let (client, base, token, request) = (client.clone(), base.clone(), token.clone(), request.clone());
        Box::pin(async move { send(&client, &base, token.as_deref(), &request).await.0 })
    })
}

/// The data set a bench seeds into an empty log (its flags, shared by the benches).
#[derive(Debug, clap::Args)]
pub struct DataSet {
    /// Activities to seed when the log is empty.
    #[arg(long, default_value_t = 1_000_000)]
    pub actions: u64,
    /// Accounts to seed when the log is empty.
    #[arg(long, default_value_t = 1_000)]
    pub users: u32,
    /// Days of history to seed.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last day of the seeded history.
    #[arg(long, default_value = "2026-06-30")]
    pub end_date: chrono::NaiveDate,
}

impl DataSet {
    pub fn config(&self) -> seed::SeedConfig {
        seed::SeedConfig {
            users: self.users,
            actions: self.actions,
            days: self.days,
            seed: self.seed,
            end_date: self.end_date,
            not_after: None,
        }
    }
}

/// Seeds the log unless it already has activities, then refreshes the planner's statistics;
/// returns the line that says what was seeded (also written to stderr), or `None` when the log
/// was not empty.
pub async fn seed_if_empty(db: &DatabaseConnection, config: &seed::SeedConfig) -> Option<String> {
    if scalar::<i64>(db, "SELECT COUNT(*) FROM activity").await != 0 {
        return None;
    }
    let started = Instant::now();
    let mut display = seed::ProgressDisplay::new(config.actions);
    let report = seed::seed(db, config, |progress| display.update(progress)).await.expect("seeding failed");
    display.finish();
    let seconds = started.elapsed().as_secs_f64();
    let line = format!(
        "seeded {} users, {} transactions, {} activities in {seconds:.1} s ({:.0} activities/s, {:.0} rows/s)",
        report.users,
        report.transactions,
        report.actions,
        report.actions as f64 / seconds,
        (report.transactions + report.actions) as f64 / seconds
    );
    eprintln!("{line}");
    // Fresh statistics (and PostgreSQL's visibility map, for index-only scans), as autovacuum
    // would give a freshly loaded table a little later; SQLite's planner needs ANALYZE run.
    let analyze = if db.get_database_backend() == DbBackend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    db.execute_unprepared(analyze).await.expect("ANALYZE after seeding failed");
    Some(line)
}

/// The first column of the first row of `sql`.
pub async fn scalar<T: sea_orm::TryGetable>(db: &DatabaseConnection, sql: &str) -> T {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("benchmark query failed")
        .expect("a row");
    row.try_get_by_index::<T>(0).expect("a value of the expected type")
}

/// Requests per second, with a decimal when there are few.
pub fn rate(per_second: f64) -> String {
    if per_second < 10.0 { format!("{per_second:.1}") } else { format!("{per_second:.0}") }
}

pub fn parallelism() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// The CPU's model name from `/proc/cpuinfo`, for the tables' headers.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// A port nobody listens on (a small race with other programs, acceptable for a benchmark).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A server under test, as its own process: its peak RSS is its own, and the load generator does
/// not share its runtime. Killed when dropped (so a panicking bench leaves no server behind).
pub struct Server {
    /// What the messages call it (`audit-gateway serve`, `PostGraphile`).
    name: String,
    child: Child,
}

impl Server {
    /// Spawns `command` (its standard streams as the caller set them).
    pub fn start(name: &str, mut command: Command) -> Server {
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Server { name: name.to_owned(), child }
    }

    /// `audit-gateway serve` on `127.0.0.1:port` over `url`: the binary Cargo built with the bench
    /// or an earlier build; its log (stderr) goes to `log`.
    pub fn gateway(binary: &Path, url: &str, port: u16, log: &Path) -> Server {
        let log = std::fs::File::create(log).expect("cannot create the server log");
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .stdout(Stdio::null())
            .stderr(log);
        Server::start("audit-gateway serve", command)
    }

    /// Polls with `probe` (no token) until it succeeds; panics if the process exits first or
    /// `within` passes.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, base: &str, probe: &Request, within: Duration) {
        let started = Instant::now();
        while started.elapsed() < within {
            if send(client, base, None, probe).await.0 {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited early ({status}); see its log", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} did not become ready in {} s", self.name, within.as_secs());
    }

    /// Resets the kernel's peak-RSS mark (`VmHWM`) so each shape reports its own peak; returns the
    /// RSS it starts from (MiB).
    pub fn reset_peak(&self) -> Option<f64> {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
        self.status_mib("VmRSS:")
    }

    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.status_mib("VmHWM:")
    }

    /// A size line of `/proc/PID/status`, in MiB.
    fn status_mib(&self, key: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
