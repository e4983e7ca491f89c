//! Connecting to the audit database (SQLite or PostgreSQL) and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

/// The embedded SQLite file used when no database URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://audit.db?mode=rwc";

/// Connection settings the gateway relies on.
#[derive(Clone, Debug)]
pub struct DbConfig {
    pub url: String,
    /// PostgreSQL schema to use instead of `public` (tests get a fresh one each).
    pub schema: Option<String>,
    pub max_connections: u32,
    /// PostgreSQL cancels any of the gateway's statements that runs longer than this (the
    /// request deadline, so no statement outlives the request it serves). SQLite has no
    /// equivalent: there the cost limit bounds what one request can ask for.
    pub statement_timeout: Option<Duration>,
    /// What PostgreSQL's `pg_stat_activity` shows for the gateway's connections.
    pub application_name: String,
}

impl DbConfig {
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            schema: None,
            max_connections: 16,
            statement_timeout: None,
            application_name: "audit-gateway".to_owned(),
        }
    }
}

/// Opens a pool. Requests wait at most a few seconds for a connection, so an unreachable database
/// turns into a quick 503 rather than a hung request; the pool reconnects by itself when it returns.
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        // A connection in steady use is not pinged before each request (a round trip per
        // request); one idle for a while is, so a database that restarted meanwhile costs no
        // failed request.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        // WAL lets readers proceed while a seed or another writer commits.
        .map_sqlx_sqlite_opts(|opts| opts.journal_mode(SqliteJournalMode::Wal).foreign_keys(true));
    // The gateway's statements are short: JIT compilation costs more than it saves. And their
    // best plan depends on the bound values (a day or a year, one user or all): after five runs
    // PostgreSQL may switch a prepared statement to a generic plan that ignores them, so every
    // execution is planned for its values, which costs little (BENCHMARKS.md has both).
    let mut settings = vec![("jit", "off".to_owned()), ("plan_cache_mode", "force_custom_plan".to_owned())];
    if let Some(timeout) = config.statement_timeout {
        settings.push(("statement_timeout", timeout.as_millis().to_string()));
    }
    let application_name = config.application_name.clone();
    options.map_sqlx_postgres_opts(move |opts| {
        opts.application_name(&application_name).options(settings.iter().map(|(k, v)| (*k, v.as_str())))
    });
    if let Some(schema) = &config.schema {
        options.set_schema_search_path(schema.clone());
    }
    Database::connect(options).await
}

/// Whether the database is a PostgreSQL hot standby (`pg_is_in_recovery()`), which refuses
/// every write; SQLite never is.
pub async fn is_hot_standby(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let statement = Statement::from_string(DbBackend::Postgres, "SELECT pg_is_in_recovery() AS standby");
    let row = db.query_one_raw(statement).await?;
    Ok(row.map(|row| row.try_get::<bool>("", "standby")).transpose()?.unwrap_or(false))
}

/// Closes the pool's idle connections that no longer answer, so the next statement gets a live
/// one or a new one. A backend can be terminated under an idle connection at any time (an
/// administrator, a pooler, a failover, `idle_session_timeout`); a connection in steady use is not
/// pinged before it is handed out, so a request that met one calls this before it retries. Only
/// on PostgreSQL: SQLite's connections are files in the process.
pub async fn prune_broken(db: &DatabaseConnection) {
    use sea_orm::sqlx::Connection;
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool();
    let mut idle = Vec::new();
    while let Some(connection) = pool.try_acquire() {
        idle.push(connection);
    }
    for mut connection in idle {
        if connection.ping().await.is_err() {
            connection.close_on_drop();
        }
    }
}

/// Refreshes the planner's statistics of the log and the rollups after a bulk write. A freshly
/// loaded table has none until autovacuum gets to it, and without them PostgreSQL planned the first
/// page of a large log as a join of every row, many times slower than once analyzed
/// (BENCHMARKS.md). Named tables only: the database may hold other schemas.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    let statement = match db.get_database_backend() {
        DbBackend::Postgres => {
            let tables: Vec<&str> =
                ["users", "\"transaction\"", "activity"].into_iter().chain(audit_rollup::table_names()).collect();
            format!("ANALYZE {}", tables.join(", "))
        }
        _ => "ANALYZE".to_owned(),
    };
    db.execute_unprepared(&statement).await.map(|_| ())
}

/// Applies pending migrations, then refreshes the planner's statistics if there were any: the
/// third migration's backfill writes millions of rollup rows into tables that have none (and a log
/// just adopted may never have been analyzed). A no-op on an up-to-date database.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if SchemaManager::new(db).has_table("seaql_migrations").await? {
        // For a while the third migration recorded itself as `mod` (the name its file gave it);
        // under its real name it would run again. Databases migrated then are told its name.
        db.execute_unprepared(
            "UPDATE seaql_migrations SET version = 'm20261126_000003_create_audit_rollups' WHERE version = 'mod'",
        )
        .await?;
    }
    if Migrator::get_pending_migrations(db).await?.is_empty() {
        return Ok(());
    }
    Migrator::up(db, None).await?;
    analyze(db).await
}
