//! The `audit-gateway` command line. Flags fall back to environment variables; `--help` is built
//! from the doc comments below.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderValue;
use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sea_orm::DatabaseConnection;

use crate::db::{self, DEFAULT_DATABASE_URL, DbConfig};
use crate::seed::{self, SeedConfig};
use crate::state::{AppState, Limits};
use crate::{app, graphql, server, tokens};

/// A GraphQL (and REST) gateway over an application's audit log.
#[derive(Debug, Parser)]
#[command(name = "audit-gateway", version)]
pub struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    /// Default: the embedded SQLite file `audit.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Log lines as text (coloured only on a terminal) or as one JSON object per line.
    #[arg(long, env = "AUDIT_GATEWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the API.
    Serve(ServeArgs),
    /// Serve a demo: an embedded SQLite database seeded with a year of activity ending yesterday,
    /// with an admin token and ready-to-paste examples printed.
    Demo(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Write deterministic synthetic activity (for demos, tests and benchmarks).
    Seed(SeedArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the GraphQL schema (SDL): what `schema.graphql` must equal.
    Schema,
    /// Maintain the rollups (the pre-aggregated counts the triggers keep).
    #[command(subcommand)]
    Rollups(RollupsCommand),
}

#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Recompute them from the log: after rows were written with triggers bypassed.
    Rebuild,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AUDIT_GATEWAY_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Request bodies larger than this many bytes get 413 before they are read.
    #[arg(long, env = "AUDIT_GATEWAY_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Seconds a request may take; past them its database statement is cancelled and it gets 504.
    #[arg(long, env = "AUDIT_GATEWAY_REQUEST_TIMEOUT", default_value_t = Limits::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Seconds a client may take to send a request's headers (or to start its next request on a
    /// kept-alive connection) before the connection is closed.
    #[arg(long, env = "AUDIT_GATEWAY_HEADER_READ_TIMEOUT", default_value_t = Limits::DEFAULT_HEADER_READ_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,
    /// Seconds a connection may stay silent in both directions before it is closed.
    #[arg(long, env = "AUDIT_GATEWAY_IDLE_TIMEOUT", default_value_t = Limits::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(long, env = "AUDIT_GATEWAY_DRAIN_TIMEOUT", default_value_t = Limits::DEFAULT_DRAIN_TIMEOUT.as_secs())]
    pub drain_timeout: u64,
    /// Requests per minute each token may make (429 with `Retry-After` past it). Default: no limit.
    #[arg(long, env = "AUDIT_GATEWAY_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// An origin (`https://audit.example.com`) whose pages may call the API; repeat the flag for
    /// more (the environment variable takes them comma-separated). Default: none (CORS off).
    #[arg(long = "cors-allow-origin", env = "AUDIT_GATEWAY_CORS_ALLOW_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_allow_origins: Vec<HeaderValue>,
}

fn parse_origin(text: &str) -> Result<HeaderValue, String> {
    let origin = text.trim().trim_end_matches('/');
    if !(origin.starts_with("http://") || origin.starts_with("https://")) {
        return Err(format!("{text:?} is not an origin like https://audit.example.com"));
    }
    HeaderValue::from_str(origin).map_err(|_| format!("{text:?} is not an origin"))
}

impl ServeArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout),
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            drain_timeout: Duration::from_secs(self.drain_timeout),
            rate_limit_per_minute: self.rate_limit_per_minute,
        }
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Accounts to create (about 7 % of them internal service accounts).
    #[arg(long, default_value_t = 50)]
    pub users: u32,
    /// Activities to write.
    #[arg(long, default_value_t = 10_000)]
    pub actions: u64,
    /// Days of history.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Random seed: the same seed gives the same rows.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last day of the history (UTC).
    #[arg(long, default_value = "2026-06-30")]
    pub end_date: NaiveDate,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone, on stdout. It is shown once and never stored.
    Create {
        /// The token's user, by id or user_name.
        #[arg(long)]
        user: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token expires; without it, it never does.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Revoke a token by id; it stops working on the next request.
    Revoke {
        /// The token's id (see `token list`).
        id: i64,
    },
    /// List tokens: ids, names, users and expiry (never secrets).
    List,
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> CliResult {
    let url = cli.database_url.clone();
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::export_sdl());
            Ok(())
        }
        Command::Migrate => {
            open(url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Serve(args) => {
            let url = url.as_deref().unwrap_or(DEFAULT_DATABASE_URL);
            open(url).await?.close().await?;
            serve(url, &args).await
        }
        Command::Demo(args) => demo(url, &args).await,
        Command::Seed(args) => {
            let db = open(url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)).await?;
            let config = SeedConfig {
                users: args.users,
                actions: args.actions,
                days: args.days,
                seed: args.seed,
                end_date: args.end_date,
            };
            let started = std::time::Instant::now();
            let bar = seed::progress_bar(config.actions);
            let report = seed::seed(&db, &config, |written| bar.set_position(written)).await?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "seeded {} users, {} transactions, {} activities in {seconds:.1} s ({:.0} activities/s)",
                report.users,
                report.transactions,
                report.actions,
                report.actions as f64 / seconds.max(1e-9)
            );
            Ok(())
        }
        Command::Token(command) => {
            let db = open(url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)).await?;
            token(&db, command).await
        }
        Command::Rollups(RollupsCommand::Rebuild) => {
            let db = open(url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)).await?;
            migration::rollup::rebuild(&db).await?;
            eprintln!("rollups rebuilt");
            Ok(())
        }
    }
}

async fn open(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let db = db::connect(&DbConfig::new(url)).await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// Serves the (migrated) database at `url` until SIGTERM or SIGINT. The pool is the serving one:
/// PostgreSQL cancels its statements at the request deadline.
async fn serve(url: &str, args: &ServeArgs) -> CliResult {
    let limits = args.limits();
    let mut config = DbConfig::new(url);
    config.statement_timeout = Some(limits.request_timeout);
    let db = db::connect(&config).await?;
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "audit-gateway listening");
    let state = AppState::with_limits(db, limits).with_cors_allow_origins(args.cors_allow_origins.clone());
    app::serve(listener, state, server::shutdown_signal()).await?;
    tracing::info!("audit-gateway stopped");
    Ok(())
}

async fn token(db: &DatabaseConnection, command: TokenCommand) -> CliResult {
    match command {
        TokenCommand::Create { user, name, expires_in_days } => {
            let created = tokens::create(db, &user, &name, expires_in_days).await?;
            eprintln!("token {} created for {} ({})", created.id, created.user.user_name, created.user.role);
            println!("{}", created.secret);
        }
        TokenCommand::Revoke { id } => {
            tokens::revoke(db, id).await?;
            eprintln!("token {id} revoked");
        }
        TokenCommand::List => {
            println!("{:>6}  {:<20}  {:<24}  {:<20}  status", "id", "name", "user", "expires_at");
            let now = tokens::now();
            for (token, user) in tokens::list(db).await? {
                let status = match (token.revoked_at, token.expires_at) {
                    (Some(_), _) => "revoked",
                    (None, Some(expires)) if expires <= now => "expired",
                    _ => "active",
                };
                let user = user.map_or_else(|| format!("#{}", token.user_id), |u| u.user_name);
                let expires = token.expires_at.map_or_else(|| "never".to_owned(), |e| e.to_string());
                println!("{:>6}  {:<20}  {:<24}  {:<20}  {status}", token.id, token.name, user, expires);
            }
        }
    }
    Ok(())
}

/// The demo's own SQLite file, rebuilt on every run so its year always ends yesterday.
const DEMO_DATABASE_FILE: &str = "audit-demo.db";

async fn demo(url: Option<String>, args: &ServeArgs) -> CliResult {
    let bind = args.bind;
    let url = match url {
        Some(url) => url,
        None => {
            for suffix in ["", "-wal", "-shm"] {
                match std::fs::remove_file(format!("{DEMO_DATABASE_FILE}{suffix}")) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            format!("sqlite://{DEMO_DATABASE_FILE}?mode=rwc")
        }
    };
    let db = open(&url).await?;
    // The year ends yesterday, so no action is dated later than now.
    let today = Utc::now().date_naive();
    let end_date = today.pred_opt().unwrap_or(today);
    let config = SeedConfig { users: 48, actions: 40_000, days: 365, seed: 2026, end_date };
    let report = seed::seed(&db, &config, |_| {}).await?;
    let admin = tokens::find_user(&db, "1").await.ok();
    let admin_name = admin.map_or_else(|| "1".to_owned(), |u| u.user_name);
    let token = tokens::create(&db, &admin_name, "demo", Some(30)).await?;
    let base = format!("http://{bind}");
    println!(
        r#"
audit-gateway demo: {users} users, {actions} activities over the year ending {end_date} ({url})

  GraphiQL   {base}/graphql   (add the header below in its Headers pane)
  Header     {{"Authorization": "Bearer {token}"}}

  REST:
    curl -H 'Authorization: Bearer {token}' '{base}/api/activity/insights?timeframe=week'
    curl -H 'Authorization: Bearer {token}' '{base}/api/activity?timeframe=week&include_internal=false&size=5'

  GraphQL (cards, chart and first page in one request, one $filter):
    curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' {base}/graphql -d '{{
      "query": "query Dashboard($filter: ActivityFilter) {{ activityInsights(filter: $filter) {{ totalActions uniqueActors topActor {{ userName actionCount }} topEntityType {{ objectType count }} actionsPerDay {{ date userCount systemCount }} }} activity(filter: $filter, page: {{size: 5}}) {{ total pages items {{ verb objectType transaction {{ issuedAt user {{ userName }} }} }} }} }}",
      "variables": {{"filter": {{"timeframe": "WEEK", "offset": 0}}}}
    }}'
"#,
        users = report.users,
        actions = report.actions,
        token = token.secret,
    );
    db.close().await?;
    serve(&url, args).await
}
