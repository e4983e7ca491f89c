//! `audit-gateway`: parses the command line, sets up logging (and traces, when exported), and
//! hands the rest to the library.

use std::io::IsTerminal;

use audit_gateway::cli::{Cli, LogFormat};
use audit_gateway::traces::Exporter;
use clap::Parser;
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// mimalloc rather than the system allocator: a response is thousands of short-lived allocations
/// (see BENCHMARKS.md, "The plain page").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let exporter = match cli.otlp_endpoint().map(Exporter::start).transpose() {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // A thread of its own writes the lines, so a request never waits for stderr. Never lossy: the
    // access log says who read the audit log, so when the pipe is full a request waits rather than
    // a line being dropped. `_flush` writes what is left when main returns.
    let (stderr, _flush) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match cli.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(stderr).boxed(),
        // Colours only for a person at a terminal, never in a file or a pipe.
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_ansi(std::io::stderr().is_terminal()).with_writer(stderr).boxed()
        }
    };
    // Log lines are events; spans are only for the trace exporter.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = lines.with_filter(filter.and(filter_fn(|metadata| metadata.is_event())));
    tracing_subscriber::registry().with(lines).with(exporter.as_ref().map(Exporter::layer)).init();
    let outcome = audit_gateway::cli::run(cli).await;
    if let Some(exporter) = exporter {
        // Shutting down waits for the last batch, sent from this runtime: wait off its threads.
        let _ = tokio::task::spawn_blocking(move || exporter.shutdown()).await;
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
