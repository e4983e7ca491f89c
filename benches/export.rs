//! The export beside `psql`'s `\copy`: the same year of rows, the same join, as CSV, alternating in
//! one run, with the gateway's memory while it streams (BENCHMARKS.md, "Export").
//!
//! `cargo bench --bench export -- [--database-url URL] [--rounds N]` (PostgreSQL; the log is seeded
//! when empty, 1M activities over a year by default). Per round:
//! - the gateway: `GET /api/activity/export?format=csv` over the seeded year, read to the end;
//! - `psql -c "\copy (SELECT …) TO STDOUT CSV HEADER"`: the rows of the same window with the same
//!   join and columns (the two instants as PostgreSQL prints them), in the same order, read to
//!   the end. The floor: no HTTP, no per-chunk statements, no formatting of ours.
//!
//! It prints rows, bytes and seconds of each, their rates' ratio, and the gateway's RSS growth
//! while exporting (its peak, `VmHWM`, reset before each export, minus its RSS then).

// Shared with the other benches, which use the parts this one does not.
#[allow(dead_code)]
mod support;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use audit_gateway::db::{self, DbConfig};
use audit_gateway::tokens;
use chrono::Days;
use clap::Parser;
use support::{Request, Server, free_port, scalar};

#[derive(Debug, Parser)]
struct Args {
    /// The PostgreSQL database (seeded if its log is empty).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/audit_bench_1m")]
    database_url: String,
    #[command(flatten)]
    data: support::DataSet,
    /// Runs of each, alternating.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The gateway to measure instead of the one Cargo built with this bench.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One export's size and time.
struct Run {
    rows: u64,
    bytes: u64,
    seconds: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let url = args.database_url.clone();
    assert!(url.starts_with("postgres"), "the export bench compares with psql: give a PostgreSQL URL");
    let db = db::connect(&DbConfig::new(url.clone())).await.expect("cannot connect to the database");
    if args.binary.is_none() {
        db::migrate(&db).await.expect("cannot migrate the benchmark database");
    }
    support::seed_if_empty(&db, &args.data.config()).await;
    let last: chrono::NaiveDate =
        scalar::<chrono::NaiveDateTime>(&db, "SELECT MAX(issued_at) FROM \"transaction\"").await.date();
    let first = last.checked_sub_days(Days::new(364)).expect("a year back");
    let token = tokens::create(&db, "1", "export bench", Some(1)).await.expect("a token for user 1").secret;

    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_audit-gateway")));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::env::temp_dir().join("audit-gateway-export-bench.log");
    let mut gateway = Server::gateway(&binary, &url, port, &log);
    let client = reqwest::Client::new();
    gateway.wait_ready(&client, &base, &Request::Get("/readyz".into()), Duration::from_secs(10)).await;

    let export_url = format!("{base}/api/activity/export?format=csv&start_date={first}&end_date={last}");
    let copy = format!(
        "\\copy (SELECT a.id, t.issued_at, t.issued_at, t.user_id, u.user_name, u.name, u.email, u.is_internal, \
         a.verb, a.object_type, a.object_id, t.id, t.remote_addr FROM activity a \
         JOIN \"transaction\" t ON t.id = a.transaction_id LEFT JOIN users u ON u.id = t.user_id \
         WHERE t.issued_at >= '{first} 00:00:00' AND t.issued_at < '{next} 00:00:00' \
         ORDER BY t.issued_at DESC, a.id DESC) TO STDOUT CSV HEADER",
        next = last.checked_add_days(Days::new(1)).expect("a day on"),
    );
    eprintln!("window {first} to {last}; {} rounds", args.rounds);

    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    let mut growth = Vec::new();
    for round in 0..args.rounds {
        for side in [round % 2, 1 - round % 2] {
            if side == 0 {
                let before = gateway.reset_peak().unwrap_or(0.0);
                let run = gateway_export(&client, &export_url, &token).await;
                growth.push(gateway.peak_rss_mib().unwrap_or(0.0) - before);
                eprintln!("round {} · gateway: {} rows, {:.1} s", round + 1, run.rows, run.seconds);
                runs[0].push(run);
            } else {
                let run = psql_copy(&url, &copy);
                eprintln!("round {} · psql \\copy: {} rows, {:.1} s", round + 1, run.rows, run.seconds);
                runs[1].push(run);
            }
        }
    }
    gateway.stop();

    println!(
        "| run | gateway rows | gateway s | gateway rows/s | psql rows | psql s | psql rows/s | gateway ÷ psql | gateway RSS growth MiB |"
    );
    println!("|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (i, (ours, theirs)) in runs[0].iter().zip(&runs[1]).enumerate() {
        println!(
            "| {} | {} | {:.1} | {:.0} | {} | {:.1} | {:.0} | {:.2} | {:.1} |",
            i + 1,
            ours.rows,
            ours.seconds,
            ours.rate(),
            theirs.rows,
            theirs.seconds,
            theirs.rate(),
            ours.rate() / theirs.rate(),
            growth[i],
        );
    }
    let total = |runs: &[Run]| {
        runs.iter().map(|run| run.rows as f64).sum::<f64>() / runs.iter().map(|run| run.seconds).sum::<f64>()
    };
    println!(
        "\nOverall: gateway {:.0} rows/s, psql {:.0} rows/s, ratio {:.2}; bytes per run {} / {}.",
        total(&runs[0]),
        total(&runs[1]),
        total(&runs[0]) / total(&runs[1]),
        runs[0].first().map_or(0, |run| run.bytes),
        runs[1].first().map_or(0, |run| run.bytes),
    );
}

/// Reads the export to its end, counting its lines (the header's too) and bytes.
async fn gateway_export(client: &reqwest::Client, url: &str, token: &str) -> Run {
    let started = Instant::now();
    let mut response = client.get(url).bearer_auth(token).send().await.expect("the export answers");
    assert!(response.status().is_success(), "the export answered {}", response.status());
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await.expect("the export's body") {
        lines += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    Run { rows: lines.saturating_sub(1), bytes, seconds: started.elapsed().as_secs_f64() }
}

/// Runs `psql` with `copy`, reading its output to the end.
fn psql_copy(url: &str, copy: &str) -> Run {
    let started = Instant::now();
    let mut child = Command::new("psql")
        .args([url, "-X", "-q", "-c", copy])
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run psql");
    let mut stdout = child.stdout.take().expect("psql's output");
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = stdout.read(&mut buffer).expect("psql's output");
        if n == 0 {
            break;
        }
        lines += buffer[..n].iter().filter(|&&byte| byte == b'\n').count() as u64;
        bytes += n as u64;
    }
    assert!(child.wait().expect("psql").success(), "psql failed");
    Run { rows: lines.saturating_sub(1), bytes, seconds: started.elapsed().as_secs_f64() }
}
