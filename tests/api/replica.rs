//! A gateway on a real PostgreSQL hot standby: it finds out by itself, writes nothing (the standby
//! would log every refused write), answers exactly what the primary holds, folded or not, and
//! follows new rows by polling.
//!
//! The shared cluster at 5432 refuses replication connections, so the test makes its own pair with
//! the PostgreSQL binaries Debian ships: `initdb` a primary in a temporary directory (as the
//! `postgres` user, which PostgreSQL requires), and `pg_basebackup -R -X stream` a standby from it,
//! each on a port of its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use audit_gateway::db::{self, DbConfig};
use audit_gateway::{compaction, tokens};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

use crate::common::*;

/// The newest PostgreSQL server binaries installed (`/usr/lib/postgresql/N/bin`).
fn postgres_bin() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL's binaries in /usr/lib/postgresql");
    let mut dirs: Vec<PathBuf> = versions.filter_map(Result::ok).map(|entry| entry.path().join("bin")).collect();
    dirs.sort();
    dirs.pop().expect("a PostgreSQL version")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port()
}

/// Runs a PostgreSQL program as the `postgres` user; panics with its output if it fails.
fn as_postgres(program: &str, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(postgres_bin().join(program))
        .args(args)
        .output()
        .expect("runuser");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A primary and its streaming standby, stopped and removed when dropped.
struct Pair {
    dir: PathBuf,
    primary_port: u16,
    standby_port: u16,
}

impl Pair {
    fn start() -> Pair {
        let dir = std::env::temp_dir().join(format!("audit-gateway-replica-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("directory");
        let chown = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status().expect("chown");
        assert!(chown.success());
        let pair = Pair { dir, primary_port: free_port(), standby_port: free_port() };
        let primary = pair.data("primary");
        as_postgres("initdb", &["-D", &primary, "-U", "postgres", "-A", "trust", "--no-sync"]);
        // Replication is allowed by initdb's default pg_hba.conf for local and loopback connections.
        pair.start_server(&primary, pair.primary_port);
        as_postgres(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pair.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                &pair.data("standby"),
                "-R",
                "-X",
                "stream",
            ],
        );
        pair.start_server(&pair.data("standby"), pair.standby_port);
        pair
    }

    fn data(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn start_server(&self, data: &str, port: u16) {
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c hot_standby=on",
            self.dir.display()
        );
        let log = format!("{data}.log");
        as_postgres("pg_ctl", &["-D", data, "-l", &log, "-o", &options, "-w", "start"]);
    }

    fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }

    /// What the standby's server logged.
    fn standby_log(&self) -> String {
        std::fs::read_to_string(Path::new(&format!("{}.log", self.data("standby")))).unwrap_or_default()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for name in ["standby", "primary"] {
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(postgres_bin().join("pg_ctl"))
                .args(["-D", &self.data(name), "-m", "immediate", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `audit-gateway serve` against `url`, killed when dropped; its stderr is kept.
struct Served {
    child: Child,
    address: String,
    log: PathBuf,
}

impl Served {
    async fn start(url: &str, log: PathBuf) -> Served {
        let address = format!("127.0.0.1:{}", free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
            .args(["serve", "--bind", &address, "--log-format", "json"])
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start audit-gateway");
        let served = Served { child, address, log };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(&served.address).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the gateway did not start: {}", served.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        served
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The insights' total for 2026 through the gateway, and the REST list's total.
async fn totals(client: &reqwest::Client, served: &Served, token: &str) -> (i64, i64) {
    let get = |path: &str| client.get(format!("http://{}{path}", served.address)).bearer_auth(token).send();
    let insights: Value = get("/api/activity/insights?start_date=2026-01-01&end_date=2026-12-31&include_internal=true")
        .await
        .expect("insights")
        .json()
        .await
        .expect("JSON");
    let list: Value =
        get("/api/activity?include_internal=true&size=1").await.expect("list").json().await.expect("JSON");
    let total = |value: &Value, key: &str| value[key].as_i64().unwrap_or_else(|| panic!("{key} in {value}"));
    (total(&insights, "total_actions"), total(&list, "total"))
}

/// Waits until `totals` through the standby's gateway are `expected` (replication is asynchronous).
async fn until_totals(client: &reqwest::Client, served: &Served, token: &str, expected: (i64, i64)) {
    let started = Instant::now();
    loop {
        let seen = totals(client, served, token).await;
        if seen == expected {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the standby's gateway says {seen:?}, not {expected:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn write(primary: &DatabaseConnection, transaction: i64, activities: i64, verb: &str) {
    add_transaction(primary, transaction, "2026-03-08 12:00:00", Some(2)).await;
    for n in 0..activities {
        add_activity(primary, transaction * 100 + n, transaction, verb, "Datastore").await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL's server binaries and the postgres user: a standby made with initdb and pg_basebackup (run with --include-ignored)"]
async fn a_gateway_on_a_hot_standby_writes_nothing_and_answers_exactly() {
    let pair = Pair::start();
    let primary = db::connect(&DbConfig::new(Pair::url(pair.primary_port))).await.expect("primary");
    db::migrate(&primary).await.expect("migrate the primary");
    add_user(&primary, ADMIN_ID, "admin", "Admin", false).await;
    add_user(&primary, 2, "bob", "Member", false).await;
    let token = tokens::create(&primary, "admin", "replica", None).await.expect("token").secret;
    write(&primary, 1, 3, "create").await;
    compaction::fold(&primary).await.expect("fold");

    let standby_url = Pair::url(pair.standby_port);
    let served = Served::start(&standby_url, pair.dir.join("gateway.log")).await;
    let client = reqwest::Client::new();
    until_totals(&client, &served, &token, (3, 3)).await;
    assert!(served.log().contains("the database is a hot standby: serving read-only"), "{}", served.log());

    // Rows written on the primary, their deltas pending (no gateway folds there): exact at once.
    write(&primary, 2, 4, "update").await;
    assert!(scalar(&primary, "SELECT COUNT(*) FROM audit_rollup_delta").await > 0);
    until_totals(&client, &served, &token, (7, 7)).await;
    // Folded on the primary: the same answer.
    assert!(compaction::fold(&primary).await.expect("fold") > 0);
    until_totals(&client, &served, &token, (7, 7)).await;

    // The live feed polls: a row written on the primary reaches a follower of the standby.
    let mut stream = client
        .get(format!("http://{}/api/activity/stream?actions=archive", served.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    write(&primary, 3, 1, "archive").await;
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !received.contains("\"verb\":\"archive\"") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.expect("an event within 30 s");
        received.push_str(&String::from_utf8_lossy(&chunk.expect("reads").expect("open")));
    }
    drop(stream);

    // Nothing the gateway did was a write the standby refused, and it did not try to listen.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let refused = pair.standby_log();
    assert!(!refused.contains("read-only transaction") && !refused.contains("during recovery"), "{refused}");
    let log = served.log();
    assert!(!log.contains("\"level\":\"WARN\"") && !log.contains("\"level\":\"ERROR\""), "{log}");

    // Migrating is the primary's business.
    let output = Command::new(env!("CARGO_BIN_EXE_audit-gateway"))
        .args(["serve", "--migrate", "--bind", &format!("127.0.0.1:{}", free_port())])
        .env("DATABASE_URL", &standby_url)
        .output()
        .expect("serve --migrate");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--migrate cannot run on a hot standby"));
    primary.execute_unprepared("SELECT 1").await.expect("the primary still answers");
}
