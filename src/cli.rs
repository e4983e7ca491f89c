//! The `audit-gateway` command line. Flags fall back to environment variables; `--help` is built
//! from the doc comments below.
//!
//! Only `migrate` changes a database's schema (and `demo`, on its own file): every other command
//! opens an existing, migrated database and says what to run when it is missing or behind, so a
//! `token create` against a production audit log never installs anything.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderValue;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::db::{self, DEFAULT_DATABASE_URL, DbConfig};
use crate::seed::{self, SeedConfig};
use crate::state::{AppState, Limits};
use crate::{app, compaction, graphql, retention, server, telemetry, tokens};

/// A GraphQL (and REST) gateway over an application's audit log.
#[derive(Debug, Parser)]
#[command(name = "audit-gateway", version)]
pub struct Cli {
    /// Log lines as text (coloured only on a terminal) or as one JSON object per line.
    #[arg(long, env = "AUDIT_GATEWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Where `serve` (or `demo`) exports traces, if it does.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        match &self.command {
            Command::Serve { serve, .. } | Command::Demo { serve, .. } => serve.otlp_endpoint.as_deref(),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API over a migrated database (run `audit-gateway migrate` first, or pass
    /// `--migrate`).
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Apply pending migrations before serving (they may lock the log tables for a while on a
        /// large log: see `audit-gateway migrate`).
        #[arg(long)]
        migrate: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Serve a demo: a SQLite database seeded with a year of activity up to now, with an admin
    /// token and ready-to-paste examples printed.
    Demo {
        /// The database to seed and serve. Default: `audit-demo.db` in the working directory,
        /// rebuilt on every run (so its year always ends now); another URL is seeded in place.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Create what is missing in the database (tables, indexes, the rollups and their triggers)
    /// and exit. The only command that changes an existing database's schema.
    Migrate(DatabaseArgs),
    /// Write deterministic synthetic activity into a migrated database (for demos, tests and
    /// benchmarks).
    Seed {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        seed: SeedArgs,
    },
    /// Manage API tokens.
    Token(TokenArgs),
    /// Print the GraphQL schema (SDL): what `schema.graphql` must equal.
    Schema,
    /// Maintain the rollups (the pre-aggregated counts the triggers keep).
    Rollups(RollupsArgs),
    /// Remove the transactions older than a number of days, with their activities, in short
    /// batches (writers go on meanwhile); every figure stays exact.
    Retention {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        retention: RetentionArgs,
    },
}

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Keep today and this many days before it; remove everything issued before that local
    /// midnight.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    pub keep_days: u32,
    /// The zone the days are counted in (an IANA name such as `Europe/Berlin`).
    #[arg(long, default_value = "UTC", value_parser = parse_zone)]
    pub time_zone: Tz,
    /// Print what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_zone(name: &str) -> Result<Tz, String> {
    crate::filter::parse_time_zone(name)
        .ok_or_else(|| format!("{name:?} is not an IANA time zone such as Europe/Berlin"))
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    /// Default: the SQLite file `audit.db` in the working directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    fn url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Args)]
pub struct RollupsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: RollupsCommand,
}

#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Recompute them from the log: after rows were written with triggers bypassed.
    Rebuild,
    /// Fold the pending deltas into them now (the serving gateway does it every
    /// `--compact-every-ms`): for a gateway run with `--compact-every-ms 0`, from a scheduler.
    Compact,
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
    /// Milliseconds between foldings of the rollup deltas (the triggers' appended changes) into the
    /// rollups. Answers are exact either way; fewer pending deltas keep them fast. 0: never (run
    /// `audit-gateway rollups compact` from a scheduler instead).
    #[arg(long, env = "AUDIT_GATEWAY_COMPACT_EVERY_MS", default_value_t = 1_000)]
    pub compact_every_ms: u64,
    /// Serve Prometheus metrics at `GET /metrics` on this address (its own listener, without
    /// authentication: keep it where only the monitoring can reach it). Off by default.
    #[arg(long, env = "AUDIT_GATEWAY_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Export traces over OTLP/HTTP to the receiver at this base URL (an OpenTelemetry collector
    /// or agent, `http://`): spans go to `URL/v1/traces`. Off by default.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Once a day, remove the transactions older than this many days with their activities (as
    /// `audit-gateway retention --keep-days` does; of several gateways, one at a time). Off by
    /// default.
    #[arg(long, env = "AUDIT_GATEWAY_RETAIN_DAYS", value_parser = clap::value_parser!(u32).range(1..=36_600))]
    pub retain_days: Option<u32>,
    /// The zone `--retain-days` counts days in.
    #[arg(long, env = "AUDIT_GATEWAY_RETAIN_TIME_ZONE", default_value = "UTC", value_parser = parse_zone)]
    pub retain_time_zone: Tz,
    /// Never write to the database: no migrations, no folding of the rollup deltas, no retention,
    /// no LISTEN (the live feed polls). Implied on a PostgreSQL hot standby.
    #[arg(long, env = "AUDIT_GATEWAY_READ_ONLY")]
    pub read_only: bool,
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
            ..Limits::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Accounts to create (the first is the Admin `admin`; about 7 % are internal service accounts).
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
    /// Last day of the history (UTC). Default: today, with today's activity up to now.
    #[arg(long)]
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for an Admin and print it, alone, on stdout. It is shown once and never
    /// stored.
    Create {
        /// The token's user, by id or user_name. Only Admins may read the audit log.
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
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::export_sdl());
            Ok(())
        }
        Command::Migrate(database) => {
            let db = db::connect(&DbConfig::new(database.url())).await?;
            let pending = Migrator::get_pending_migrations_read_only(&db).await?.len();
            db::migrate(&db).await?;
            eprintln!("{pending} migration(s) applied; the database is up to date");
            Ok(())
        }
        Command::Serve { database, migrate, serve: args } => {
            let url = database.url();
            let listener = bind(args.bind).await?;
            let db = if migrate { db::connect(&DbConfig::new(url)).await? } else { open_migrated(url).await? };
            let standby = db::is_hot_standby(&db).await?;
            if migrate && (args.read_only || standby) {
                return Err(Advice(format!(
                    "--migrate cannot run on a {}: migrate the primary, then serve this one without it",
                    if standby { "hot standby" } else { "gateway told --read-only" }
                ))
                .into());
            }
            if migrate {
                db::migrate(&db).await?;
            }
            db.close().await?;
            let read_only = args.read_only || standby;
            if standby {
                tracing::info!("the database is a hot standby: serving read-only");
            }
            serve(listener, url, &args, read_only).await
        }
        Command::Demo { database_url, serve: args } => demo(database_url, &args).await,
        Command::Seed { database, seed: args } => {
            let db = open_migrated(database.url()).await?;
            let now = Utc::now().naive_utc();
            let config = SeedConfig {
                users: args.users,
                actions: args.actions,
                days: args.days,
                seed: args.seed,
                end_date: args.end_date.unwrap_or(now.date()),
                not_after: args.end_date.is_none().then_some(now),
            };
            let started = std::time::Instant::now();
            let mut display = seed::ProgressDisplay::new(config.actions);
            let report = seed::seed(&db, &config, |progress| display.update(progress)).await?;
            display.finish();
            let seconds = started.elapsed().as_secs_f64();
            let admin = tokens::find_user(&db, &report.admin_id.to_string()).await?.user_name;
            eprintln!(
                "seeded {} users, {} transactions, {} activities dated {} to {} (UTC) in {seconds:.1} s; \
                 the Admin is `{}`",
                report.users,
                report.transactions,
                report.actions,
                config.first_day().unwrap_or(config.end_date),
                config
                    .not_after
                    .map_or_else(|| config.end_date.to_string(), |now| now.format("%Y-%m-%d %H:%M").to_string()),
                admin,
            );
            Ok(())
        }
        Command::Token(TokenArgs { database, command }) => {
            let db = open_migrated(database.url()).await?;
            token(&db, command).await
        }
        Command::Retention { database, retention: args } => {
            let db = open_migrated(database.url()).await?;
            let policy = retention::Policy { keep_days: args.keep_days, zone: args.time_zone };
            let cutoff = policy.cutoff(Utc::now());
            if args.dry_run {
                let would = retention::count(&db, cutoff).await?;
                println!(
                    "would remove {} transactions and {} activities issued before {cutoff} UTC (dry run: nothing removed)",
                    would.transactions, would.activities
                );
            } else {
                let removed = retention::remove(&db, cutoff).await?;
                println!(
                    "removed {} transactions and {} activities issued before {cutoff} UTC",
                    removed.transactions, removed.activities
                );
            }
            Ok(())
        }
        Command::Rollups(RollupsArgs { database, command: RollupsCommand::Rebuild }) => {
            let db = open_migrated(database.url()).await?;
            audit_rollup::rebuild(&db).await?;
            db::analyze(&db).await?;
            eprintln!("rollups rebuilt");
            Ok(())
        }
        Command::Rollups(RollupsArgs { database, command: RollupsCommand::Compact }) => {
            let db = open_migrated(database.url()).await?;
            let folded = compaction::fold(&db).await?;
            eprintln!("rollups compacted: {folded} pending deltas folded in");
            Ok(())
        }
    }
}

/// An error for a person at a terminal: what went wrong, and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Advice(String);

/// Opens an existing database whose schema is up to date, changing nothing: a missing SQLite
/// file or pending migrations are an error that names the command to run.
async fn open_migrated(url: &str) -> Result<DatabaseConnection, Box<dyn std::error::Error>> {
    if let Some(path) = sqlite_file(url)
        && !std::path::Path::new(path).exists()
    {
        return Err(Advice(format!(
            "there is no database at {path}: create it with `audit-gateway migrate` (or `audit-gateway demo` \
             for a seeded one), or name yours with --database-url"
        ))
        .into());
    }
    let db = db::connect(&DbConfig::new(url)).await?;
    let pending = Migrator::get_pending_migrations_read_only(&db).await?;
    if !pending.is_empty() {
        let names: Vec<String> = pending.iter().map(|migration| migration.name().to_owned()).collect();
        return Err(Advice(format!(
            "the database is not up to date ({} pending: {}): run `audit-gateway migrate` first \
             (`serve --migrate` does it before serving)",
            names.len(),
            names.join(", ")
        ))
        .into());
    }
    Ok(db)
}

/// The file of a `sqlite:` URL, unless it is in memory.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//").split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Binds the listening address first, before any database work, so an address in use is said at
/// once and nothing is changed.
async fn bind(address: SocketAddr) -> Result<TcpListener, Box<dyn std::error::Error>> {
    TcpListener::bind(address).await.map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::AddrInUse {
            let mut next = address;
            next.set_port(address.port().wrapping_add(1));
            format!(" (is another audit-gateway running?): choose another address with --bind {next}")
        } else {
            String::new()
        };
        Advice(format!("cannot listen on {address}: {error}{hint}")).into()
    })
}

/// Serves the (migrated) database at `url` on `listener` until SIGTERM or SIGINT. The pool is the
/// serving one: PostgreSQL cancels its statements at the request deadline.
async fn serve(listener: TcpListener, url: &str, args: &ServeArgs, read_only: bool) -> CliResult {
    let limits = args.limits();
    let mut config = DbConfig::new(url);
    config.statement_timeout = Some(limits.request_timeout);
    let db = db::connect(&config).await?;
    tracing::info!(address = %listener.local_addr()?, "audit-gateway listening");
    // A read-only gateway writes nothing: the primary's gateways fold and remove.
    let compaction = (args.compact_every_ms > 0 && !read_only)
        .then(|| compaction::spawn(db.clone(), Duration::from_millis(args.compact_every_ms)));
    if read_only && args.retain_days.is_some() {
        tracing::warn!("--retain-days is ignored on a read-only gateway: run it on the primary's");
    }
    let retention = args
        .retain_days
        .filter(|_| !read_only)
        .map(|keep_days| retention::spawn(db.clone(), retention::Policy { keep_days, zone: args.retain_time_zone }));
    let state = AppState::with_limits(db, limits).with_cors_allow_origins(args.cors_allow_origins.clone());
    let state = if read_only { state.read_only() } else { state };
    let metrics = match args.metrics_bind {
        Some(address) => {
            telemetry::handle();
            let listener = TcpListener::bind(address).await?;
            tracing::info!(address = %listener.local_addr()?, "metrics at /metrics");
            let router = telemetry::router(state.db.clone());
            Some(tokio::spawn(async move { axum::serve(listener, router).await }))
        }
        None => None,
    };
    let served = app::serve(listener, state, server::shutdown_signal()).await;
    for task in [compaction, retention].into_iter().flatten() {
        task.abort();
    }
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    served?;
    tracing::info!("audit-gateway stopped");
    Ok(())
}

async fn token(db: &DatabaseConnection, command: TokenCommand) -> CliResult {
    match command {
        TokenCommand::Create { user, name, expires_in_days } => {
            let user = match tokens::find_user(db, &user).await {
                Ok(user) => user,
                Err(tokens::TokenError::UnknownUser(wanted)) => {
                    let admins: Vec<String> = tokens::admins(db).await?.into_iter().map(|u| u.user_name).collect();
                    let known = if admins.is_empty() {
                        "this database has no Admin yet".to_owned()
                    } else {
                        format!("its Admins: {}", admins.join(", "))
                    };
                    return Err(Advice(format!("no user with id or user_name {wanted:?}; {known}")).into());
                }
                Err(other) => return Err(other.into()),
            };
            if user.role != entity::users::ADMIN_ROLE {
                return Err(Advice(format!(
                    "{} is a {}: only Admins may read the audit log, so its token would only ever get 403",
                    user.user_name, user.role
                ))
                .into());
            }
            let created = tokens::create(db, &user.user_name, &name, expires_in_days).await?;
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

/// The demo's own SQLite file, rebuilt on every run so its year always ends now.
const DEMO_DATABASE_FILE: &str = "audit-demo.db";
/// Held (locked) while a demo serves its own file, so a second demo in the same directory cannot
/// delete the database the first one is serving.
const DEMO_LOCK_FILE: &str = "audit-demo.lock";

async fn demo(url: Option<String>, args: &ServeArgs) -> CliResult {
    // The address first: a second demo must fail before it touches anything.
    let listener = bind(args.bind).await?;
    let (url, _lock) = match url {
        Some(url) => (url, None),
        None => {
            let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(DEMO_LOCK_FILE)?;
            if lock.try_lock().is_err() {
                return Err(Advice(format!(
                    "another demo is serving {DEMO_DATABASE_FILE} from this directory: stop it first, or run this \
                     one from another directory or with --database-url"
                ))
                .into());
            }
            for suffix in ["", "-wal", "-shm"] {
                match std::fs::remove_file(format!("{DEMO_DATABASE_FILE}{suffix}")) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            (format!("sqlite://{DEMO_DATABASE_FILE}?mode=rwc"), Some(lock))
        }
    };
    let db = db::connect(&DbConfig::new(&url)).await?;
    db::migrate(&db).await?;
    // A year up to now: today's bar in the chart has today's activity so far.
    let now = Utc::now().naive_utc();
    let config =
        SeedConfig { users: 48, actions: 40_000, days: 365, seed: 2026, end_date: now.date(), not_after: Some(now) };
    let report = seed::seed(&db, &config, |_| {}).await?;
    let admin = tokens::find_user(&db, &report.admin_id.to_string()).await?.user_name;
    let token = tokens::create(&db, &admin, "demo", Some(30)).await?;
    db.close().await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        r#"
audit-gateway demo: {users} users, {actions} activities from {first_day} up to now ({url})

  Audit page {base}/   (sign in with the token below)

  export TOKEN={token}

  GraphiQL   {base}/graphql   (asks for the token once, or shares the audit page's sign-in)
  Header     {{"Authorization": "Bearer {token}"}}

  REST:
    curl -s -H "Authorization: Bearer $TOKEN" '{base}/api/activity/insights?timeframe=week'
    curl -s -H "Authorization: Bearer $TOKEN" '{base}/api/activity?timeframe=week&include_internal=false&size=5'

  GraphQL (cards, chart and first page in one request, one $filter):
    curl -s {base}/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{
      "query": "query Dashboard($filter: ActivityFilter) {{ activityInsights(filter: $filter) {{ totalActions uniqueActors topActor {{ userName actionCount }} topEntityType {{ objectType count }} actionsPerDay {{ date userCount systemCount }} }} activity(filter: $filter, page: {{size: 5}}) {{ total pages items {{ verb objectType transaction {{ issuedAt user {{ userName }} }} }} }} }}",
      "variables": {{"filter": {{"timeframe": "WEEK"}}}}
    }}'

  More tokens: audit-gateway token create --user {admin} --database-url '{url}'
"#,
        users = report.users,
        actions = report.actions,
        first_day = config.first_day().unwrap_or(config.end_date),
        token = token.secret,
    );
    serve(listener, &url, args, args.read_only).await
}
