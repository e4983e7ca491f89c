//! Deterministic synthetic activity: the demo's year, the benchmark data sets, load tests.
//!
//! The shape is meant to look like a real platform's log: a few users do most of the work (Zipf),
//! a handful of internal service accounts run bursty automated jobs at night, about 5 % of actions
//! belong to accounts that no longer exist (`user_id` NULL), weekdays are busier than weekends and
//! working hours busier than nights. For a given configuration (including `seed` and `end_date`)
//! the rows are always the same, whichever backend they are written to.
//!
//! `generate` draws the rows and `load` writes them; this module runs the two side by side. A
//! blocking thread draws the rows and renders them straight into text chunks (no per-row
//! allocation), while the async side writes the previous chunk. PostgreSQL receives each chunk
//! through `COPY ... FROM STDIN`; SQLite through multi-row `INSERT`s. Either way everything happens
//! in one database transaction, so a failed seed leaves nothing behind. Every value comes from the
//! generator (numbers, timestamps and a fixed vocabulary without quotes or tabs), which is why it
//! is written as literal text rather than bound.
//!
//! On PostgreSQL, when the log is empty, the secondary indexes and foreign keys of `transaction`
//! and `activity` are dropped for the load and re-created from their own definitions afterwards,
//! inside the same transaction: building an index once over sorted data is several times cheaper
//! than maintaining it row by row, and the rows are valid by construction (as `pg_restore` does).

mod display;
mod generate;
mod load;

use chrono::{Days, NaiveDate, NaiveDateTime};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use tokio::sync::mpsc;

pub use display::ProgressDisplay;
use generate::{Generator, users};
use load::{Writer, exec_err};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SeedConfig {
    /// Accounts to create (internal ones included).
    pub users: u32,
    /// Activities to write, across roughly 0.65 times as many transactions.
    pub actions: u64,
    /// Days of history, ending on `end_date`.
    pub days: u32,
    pub seed: u64,
    /// The last day (UTC) with activity.
    pub end_date: NaiveDate,
    /// When `end_date` is today: now. That day's actions are spread over its hours up to this
    /// instant instead of the whole day, so nothing is dated in the future.
    pub not_after: Option<NaiveDateTime>,
}

impl SeedConfig {
    /// The first day (UTC) with activity.
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.end_date.checked_sub_days(Days::new(u64::from(self.days.max(1)) - 1))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub users: u64,
    pub transactions: u64,
    pub actions: u64,
    /// The id of the seeded Admin (the first account written; `admin` in an empty database).
    pub admin_id: i64,
}

/// Chunks the generator may run ahead of the writer.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Where a seed is, for its caller to show: each phase as it starts, and while writing, the
/// activities written so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Phase(Phase),
    Written(u64),
}

/// The phases of a seed, in order (the index and rollup phases only when loading an empty log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accounts, and setting indexes and triggers aside for a bulk load.
    Preparing,
    /// Drawing and writing the activities.
    Writing,
    /// Re-creating the indexes and foreign keys set aside.
    Indexing,
    /// Counting the new rows into the rollups.
    RebuildingRollups,
    Committing,
    /// Rebuilding the rollups' indexes, which the bulk load left half empty.
    RepackingRollups,
    /// Refreshing the planner's statistics, so the first queries are planned for the new rows.
    Analyzing,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Preparing => "preparing",
            Phase::Writing => "writing activities",
            Phase::Indexing => "re-creating indexes",
            Phase::RebuildingRollups => "rebuilding rollups",
            Phase::Committing => "committing",
            Phase::RepackingRollups => "repacking the rollups' indexes",
            Phase::Analyzing => "analyzing",
        }
    }
}

/// Writes the synthetic log, telling `progress` where it is.
pub async fn seed(
    db: &DatabaseConnection,
    config: &SeedConfig,
    mut progress: impl FnMut(Progress),
) -> Result<SeedReport, DbErr> {
    if config.users == 0 || config.days == 0 {
        return Err(DbErr::Custom("seed needs at least one user and one day".into()));
    }
    let first_day = config.first_day().ok_or_else(|| DbErr::Custom("--days reaches before year 1".into()))?;
    let backend = db.get_database_backend();
    let mut writer = match backend {
        DbBackend::Postgres => Writer::Postgres(db.get_postgres_connection_pool().begin().await.map_err(exec_err)?),
        _ => Writer::Sqlite(db.begin().await?),
    };
    let format = writer.format();
    progress(Progress::Phase(Phase::Preparing));

    let mut rng = StdRng::seed_from_u64(config.seed);
    let first_user = writer.next_id("users").await?;
    let first_transaction = writer.next_id("\"transaction\"").await?;
    let first_activity = writer.next_id("activity").await?;
    let (population, users) = users(config, first_user, &mut rng);
    for statement in users {
        writer.execute(&statement).await?;
    }
    // Into an empty log, rows load fastest without secondary indexes and without the rollup
    // triggers; both are rebuilt once at the end. Otherwise the triggers count every new row.
    let bulk = first_activity == 1;
    let deferred = if bulk { writer.defer_indexes().await? } else { Vec::new() };
    if bulk {
        for statement in audit_rollup::drop_triggers(backend) {
            writer.execute(&statement).await?;
        }
    }

    // The generator runs on a blocking thread and hands over rendered chunks; if the writer fails
    // it drops the receiver and the generator stops at its next hand-over.
    let (sender, mut receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let generator = Generator {
        config: config.clone(),
        first_day,
        rng,
        population,
        verbs: generate::weighted(generate::VERBS),
        object_types: generate::weighted(generate::OBJECT_TYPES),
        format,
    };
    let generating = tokio::task::spawn_blocking(move || {
        generator.run(first_transaction, first_activity, |chunk| sender.blocking_send(chunk).is_ok())
    });
    progress(Progress::Phase(Phase::Writing));
    let mut written = 0;
    while let Some(chunk) = receiver.recv().await {
        writer.write(&chunk).await?;
        written += chunk.actions;
        progress(Progress::Written(written));
    }
    let mut report = generating.await.map_err(|e| DbErr::Custom(format!("the seed generator failed: {e}")))?;
    report.users = u64::from(config.users);
    report.admin_id = first_user;

    if !deferred.is_empty() {
        progress(Progress::Phase(Phase::Indexing));
    }
    for statement in deferred {
        writer.execute(&statement).await?;
    }
    if bulk {
        progress(Progress::Phase(Phase::RebuildingRollups));
        let rebuild = audit_rollup::clear()
            .into_iter()
            .chain(audit_rollup::apply(backend, &audit_rollup::activity_deltas(None, None)))
            .chain(audit_rollup::create_triggers(backend));
        for statement in rebuild {
            writer.execute(&statement).await?;
        }
    }
    progress(Progress::Phase(Phase::Committing));
    writer.finish().await?;
    if bulk {
        progress(Progress::Phase(Phase::RepackingRollups));
        audit_rollup::repack(db).await?;
    }
    progress(Progress::Phase(Phase::Analyzing));
    crate::db::analyze(db).await?;
    Ok(report)
}
