//! `audit-gateway`: parses the command line, sets up logging, and hands the rest to the library.

use std::io::IsTerminal;

use audit_gateway::cli::{Cli, LogFormat};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: a response is thousands of short-lived allocations
/// (see BENCHMARKS.md, "The plain page").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A thread of its own writes the lines, so a request never waits for stderr. Never lossy: the
    // access log says who read the audit log, so when the pipe is full a request waits rather than
    // a line being dropped. `_flush` writes what is left when main returns.
    let (stderr, _flush) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(stderr);
    match cli.log_format {
        LogFormat::Json => logs.json().init(),
        // Colours only for a person at a terminal, never in a file or a pipe.
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    match audit_gateway::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
