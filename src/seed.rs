//! Deterministic synthetic activity: the demo's year, the benchmark data sets, load tests.
//!
//! The shape is meant to look like a real platform's log: a few users do most of the work (Zipf),
//! a handful of internal service accounts run bursty automated jobs at night, about 5 % of actions
//! belong to accounts that no longer exist (`user_id` NULL), weekdays are busier than weekends and
//! working hours busier than nights. For a given configuration (including `seed` and `end_date`)
//! the rows are always the same, whichever backend they are written to.
//!
//! Generating and writing overlap: a blocking thread draws the rows and renders them straight into
//! text chunks (no per-row allocation), while the async side writes the previous chunk. PostgreSQL
//! receives each chunk through `COPY ... FROM STDIN`; SQLite through multi-row `INSERT`s. Either way
//! everything happens in one database transaction, so a failed seed leaves nothing behind. Every
//! value comes from this generator (numbers, timestamps and a fixed vocabulary without quotes or
//! tabs), which is why it is written as literal text rather than bound.
//!
//! On PostgreSQL, when the log is empty, the secondary indexes and foreign keys of `transaction`
//! and `activity` are dropped for the load and re-created from their own definitions afterwards,
//! inside the same transaction: building an index once over sorted data is several times cheaper
//! than maintaining it row by row, and the rows are valid by construction (as `pg_restore` does).

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Weekday};
use indicatif::{ProgressBar, ProgressStyle};
use migration::rollup;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sqlx::{self, AssertSqlSafe, Postgres};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, RuntimeErr, Statement,
    TransactionTrait,
};
use tokio::sync::mpsc;

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
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub users: u64,
    pub transactions: u64,
    pub actions: u64,
}

/// The verbs and object types of the audited platform, with how common each is.
const VERBS: &[(&str, u32)] = &[
    ("update", 40),
    ("create", 24),
    ("delete", 8),
    ("activate", 8),
    ("archive", 6),
    ("run", 6),
    ("invite", 3),
    ("acknowledge", 5),
];
const OBJECT_TYPES: &[(&str, u32)] = &[
    ("QualityCheck", 30),
    ("Anomaly", 25),
    ("Datastore", 10),
    ("Container", 9),
    ("Field", 8),
    ("Operation", 7),
    ("Notification", 4),
    ("ComputedTable", 3),
    ("Team", 2),
    ("Tag", 2),
];
const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Yannique",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Tim",
    "Radia",
    "Guido",
    "Katherine",
    "Bjarne",
    "Sophie",
    "Niklaus",
    "Hedy",
    "Edsger",
    "Joan",
    "Alan",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Kameka",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "van Rossum",
    "Johnson",
    "Stroustrup",
    "Wilson",
    "Wirth",
    "Lamarr",
    "Dijkstra",
    "Clarke",
    "Turing",
];
const SERVICES: &[&str] = &["scheduler", "profiler", "scanner", "sync", "exporter", "notifier"];

/// Activities per chunk handed from the generator thread to the writer: large enough that the
/// per-statement cost vanishes, small enough that memory stays flat and the progress bar moves.
const CHUNK_ACTIONS: u64 = 50_000;
/// Rows per SQLite `INSERT` statement.
const INSERT_ROWS: usize = 5_000;
/// Chunks the generator may run ahead of the writer.
const CHUNKS_IN_FLIGHT: usize = 4;

const TRANSACTION_COLUMNS: &str = "\"transaction\" (id, issued_at, user_id, remote_addr)";
const ACTIVITY_COLUMNS: &str = "activity (id, verb, transaction_id, object_type, object_id)";

/// Who made a transaction.
#[derive(Clone, Copy)]
enum Actor {
    Human(i64),
    Internal(i64),
    Deleted,
}

struct Population {
    humans: Vec<i64>,
    human_weights: WeightedIndex<f64>,
    internals: Vec<i64>,
}

/// A progress bar for `total` activities on a terminal, a hidden one otherwise (logs and CI get the
/// caller's one-line summary instead).
pub fn progress_bar(total: u64) -> ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "seeding {bar:40} {human_pos}/{human_len} activities  {per_sec}  {elapsed_precise} (eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Writes the synthetic log; `progress` is called with the number of activities written so far.
pub async fn seed(
    db: &DatabaseConnection,
    config: &SeedConfig,
    mut progress: impl FnMut(u64),
) -> Result<SeedReport, DbErr> {
    if config.users == 0 || config.days == 0 {
        return Err(DbErr::Custom("seed needs at least one user and one day".into()));
    }
    let first_day = config
        .end_date
        .checked_sub_days(Days::new(u64::from(config.days) - 1))
        .ok_or_else(|| DbErr::Custom("--days reaches before year 1".into()))?;
    let backend = db.get_database_backend();
    let mut writer = match backend {
        DbBackend::Postgres => Writer::Postgres(db.get_postgres_connection_pool().begin().await.map_err(exec_err)?),
        _ => Writer::Sqlite(db.begin().await?),
    };
    let format = writer.format();

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
        for statement in rollup::drop_triggers(backend) {
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
        verbs: weighted(VERBS),
        object_types: weighted(OBJECT_TYPES),
        format,
    };
    let generating = tokio::task::spawn_blocking(move || {
        generator.run(first_transaction, first_activity, |chunk| sender.blocking_send(chunk).is_ok())
    });
    let mut written = 0;
    while let Some(chunk) = receiver.recv().await {
        writer.write(&chunk).await?;
        written += chunk.actions;
        progress(written);
    }
    let mut report = generating.await.map_err(|e| DbErr::Custom(format!("the seed generator failed: {e}")))?;
    report.users = u64::from(config.users);

    for statement in deferred {
        writer.execute(&statement).await?;
    }
    if bulk {
        let rebuild = rollup::clear()
            .into_iter()
            .chain(rollup::apply(backend, &rollup::activity_deltas(None, None)))
            .chain(rollup::create_triggers(backend));
        for statement in rebuild {
            writer.execute(&statement).await?;
        }
    }
    writer.finish().await?;
    Ok(report)
}

/// How rows are rendered for the backend: PostgreSQL's `COPY` text format or SQL `VALUES` tuples.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Copy,
    Insert,
}

/// One hand-over from the generator: the transactions, then the activities that reference them.
struct Chunk {
    /// One `COPY` payload, or complete `INSERT` statements.
    transactions: Vec<String>,
    activities: Vec<String>,
    actions: u64,
}

/// Where the rows go, inside one database transaction.
enum Writer {
    /// Straight through sqlx, which has `COPY` (SeaORM's transaction does not expose it).
    Postgres(sqlx::Transaction<'static, Postgres>),
    Sqlite(DatabaseTransaction),
}

impl Writer {
    fn format(&self) -> Format {
        match self {
            Writer::Postgres(_) => Format::Copy,
            Writer::Sqlite(_) => Format::Insert,
        }
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DbErr> {
        match self {
            // Generator-made text only (see the module comment), hence the assertion.
            Writer::Postgres(txn) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut **txn).await.map(|_| ()).map_err(exec_err)
            }
            Writer::Sqlite(txn) => txn.execute_unprepared(sql).await.map(|_| ()),
        }
    }

    async fn next_id(&mut self, table: &str) -> Result<i64, DbErr> {
        let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}");
        match self {
            Writer::Postgres(txn) => {
                sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut **txn).await.map_err(exec_err)
            }
            Writer::Sqlite(txn) => {
                let row = NextId::find_by_statement(Statement::from_string(DbBackend::Sqlite, sql)).one(txn).await?;
                Ok(row.map_or(1, |row| row.next))
            }
        }
    }

    async fn write(&mut self, chunk: &Chunk) -> Result<(), DbErr> {
        match self {
            Writer::Postgres(txn) => {
                for (columns, payload) in
                    [(TRANSACTION_COLUMNS, &chunk.transactions), (ACTIVITY_COLUMNS, &chunk.activities)]
                {
                    let mut copy = txn.copy_in_raw(&format!("COPY {columns} FROM STDIN")).await.map_err(exec_err)?;
                    for data in payload {
                        copy.send(data.as_bytes()).await.map_err(exec_err)?;
                    }
                    copy.finish().await.map_err(exec_err)?;
                }
            }
            Writer::Sqlite(txn) => {
                for statement in chunk.transactions.iter().chain(&chunk.activities) {
                    txn.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }

    /// On PostgreSQL, drops the secondary indexes and foreign keys of the log tables and returns the
    /// statements that re-create them (their definitions as the catalog has them).
    async fn defer_indexes(&mut self) -> Result<Vec<String>, DbErr> {
        let Writer::Postgres(txn) = self else { return Ok(Vec::new()) };
        let constraints: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) \
             FROM pg_constraint c WHERE c.contype = 'f' \
             AND c.conrelid IN ('\"transaction\"'::regclass, 'activity'::regclass)",
        )
        .fetch_all(&mut **txn)
        .await
        .map_err(exec_err)?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             WHERE NOT i.indisprimary AND NOT i.indisunique \
             AND i.indrelid IN ('\"transaction\"'::regclass, 'activity'::regclass)",
        )
        .fetch_all(&mut **txn)
        .await
        .map_err(exec_err)?;
        // Index builds sort; give this transaction's sorts room to stay in memory.
        self.execute("SET LOCAL maintenance_work_mem = '512MB'").await?;
        let mut recreate = Vec::new();
        for (table, name, definition) in &constraints {
            self.execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}")).await?;
            recreate.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"));
        }
        for (name, definition) in indexes {
            self.execute(&format!("DROP INDEX {name}")).await?;
            recreate.insert(0, definition);
        }
        Ok(recreate)
    }

    async fn finish(mut self) -> Result<(), DbErr> {
        if let Writer::Postgres(_) = self {
            // Explicit ids leave the sequences behind; later inserts without ids must not collide.
            for table in ["users", "transaction", "activity"] {
                self.execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                ))
                .await?;
            }
        }
        match self {
            Writer::Postgres(txn) => txn.commit().await.map_err(exec_err),
            Writer::Sqlite(txn) => txn.commit().await,
        }
    }
}

fn exec_err(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

#[derive(FromQueryResult)]
struct NextId {
    next: i64,
}

/// Draws the log, day by day, and renders it into chunks.
struct Generator {
    config: SeedConfig,
    first_day: NaiveDate,
    rng: StdRng,
    population: Population,
    verbs: WeightedIndex<u32>,
    object_types: WeightedIndex<u32>,
    format: Format,
}

impl Generator {
    /// Runs to the end or until `hand_over` returns false (the writer has gone).
    fn run(mut self, mut tx_id: i64, mut activity_id: i64, mut hand_over: impl FnMut(Chunk) -> bool) -> SeedReport {
        let config = &self.config;
        let rng = &mut self.rng;
        // Spread the transactions over the days by weekday weight, oldest day first, so ids grow
        // with time as they do in a real log.
        let days: Vec<NaiveDate> = self.first_day.iter_days().take(config.days as usize).collect();
        let day_weights: Vec<f64> = days.iter().map(|d| day_weight(*d)).collect();
        let weight_sum: f64 = day_weights.iter().sum();

        let mut report = SeedReport::default();
        let mut transactions = Table::new(self.format, TRANSACTION_COLUMNS);
        let mut activities = Table::new(self.format, ACTIVITY_COLUMNS);
        let mut chunk_actions = 0;
        let mut carried = 0.0;
        let mut stamps = Vec::new();
        for (day, weight) in days.iter().zip(&day_weights) {
            // Activities due on this day, carrying the rounding remainder forward.
            let due = config.actions as f64 * weight / weight_sum + carried;
            let mut budget = due.floor() as u64;
            carried = due - budget as f64;
            if day == days.last().unwrap_or(day) {
                budget = config.actions - report.actions - chunk_actions;
            }
            stamps.clear();
            while budget > 0 {
                let actor = pick_actor(&self.population, rng);
                if let Actor::Internal(id) = actor {
                    // An automated run: a burst of single-action transactions seconds apart.
                    let mut at =
                        day.and_hms_opt(rng.random_range(0..5), rng.random_range(0..60), 0).unwrap_or_default();
                    for _ in 0..rng.random_range(5..40).min(budget) {
                        stamps.push((at, Actor::Internal(id), 1));
                        at += TimeDelta::seconds(rng.random_range(1..30));
                        budget -= 1;
                    }
                    continue;
                }
                let size = [1, 1, 1, 1, 2, 2, 3][rng.random_range(0..7)].min(budget);
                stamps.push((working_time(*day, rng), actor, size));
                budget -= size;
            }
            stamps.sort_by_key(|(at, _, _)| *at);
            for &(at, actor, size) in &stamps {
                let user = match actor {
                    Actor::Human(id) | Actor::Internal(id) => Some(id),
                    Actor::Deleted => None,
                };
                // `i32` draws, as the generator always made: the type decides how the bits are used.
                let ip: [i32; 3] = [rng.random_range(0..8), rng.random_range(0..256), rng.random_range(1..255)];
                transactions.row().int(tx_id).timestamp(at).opt_int(user).ip(ip).end();
                for _ in 0..size {
                    let verb = VERBS[self.verbs.sample(rng)].0;
                    let object_type = OBJECT_TYPES[self.object_types.sample(rng)].0;
                    let object_id =
                        if rng.random_bool(0.03) { None } else { Some(i64::from(rng.random_range(1..50_000_i32))) };
                    activities.row().int(activity_id).text(verb).int(tx_id).text(object_type).opt_int(object_id).end();
                    activity_id += 1;
                }
                report.transactions += 1;
                chunk_actions += size;
                tx_id += 1;
                if chunk_actions >= CHUNK_ACTIONS {
                    let chunk = Chunk {
                        transactions: transactions.take(),
                        activities: activities.take(),
                        actions: chunk_actions,
                    };
                    report.actions += chunk_actions;
                    chunk_actions = 0;
                    if !hand_over(chunk) {
                        return report;
                    }
                }
            }
        }
        if chunk_actions > 0 || !transactions.is_empty() {
            report.actions += chunk_actions;
            hand_over(Chunk {
                transactions: transactions.take(),
                activities: activities.take(),
                actions: chunk_actions,
            });
        }
        report
    }
}

/// Rows of one table rendered as text: `COPY` lines (tab-separated, `\N` for NULL) or
/// `INSERT ... VALUES` statements of [`INSERT_ROWS`] rows.
struct Table {
    format: Format,
    columns: &'static str,
    done: Vec<String>,
    text: String,
    rows: usize,
    fields: usize,
}

impl Table {
    fn new(format: Format, columns: &'static str) -> Self {
        Table { format, columns, done: Vec::new(), text: String::new(), rows: 0, fields: 0 }
    }

    fn is_empty(&self) -> bool {
        self.done.is_empty() && self.rows == 0
    }

    fn row(&mut self) -> &mut Self {
        if self.format == Format::Insert {
            if self.rows == 0 {
                let _ = write!(self.text, "INSERT INTO {} VALUES (", self.columns);
            } else {
                self.text.push_str(", (");
            }
        }
        self.fields = 0;
        self
    }

    fn separate(&mut self) {
        if self.fields > 0 {
            self.text.push(if self.format == Format::Copy { '\t' } else { ',' });
        }
        self.fields += 1;
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.separate();
        self.text.push_str(itoa::Buffer::new().format(value));
        self
    }

    fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.int(value),
            None => {
                self.separate();
                self.text.push_str(if self.format == Format::Copy { "\\N" } else { "NULL" });
                self
            }
        }
    }

    fn quote(&mut self) {
        if self.format == Format::Insert {
            self.text.push('\'');
        }
    }

    /// A vocabulary word, free of quotes, tabs and backslashes.
    fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        self.quote();
        self.text.push_str(value);
        self.quote();
        self
    }

    /// `YYYY-MM-DD HH:MM:SS`, without chrono's format-string interpretation on every row.
    fn timestamp(&mut self, at: NaiveDateTime) -> &mut Self {
        self.separate();
        self.quote();
        let two = |text: &mut String, n: u32| {
            text.push(char::from(b'0' + (n / 10) as u8));
            text.push(char::from(b'0' + (n % 10) as u8));
        };
        let year = at.year().clamp(0, 9999) as u32;
        two(&mut self.text, year / 100);
        two(&mut self.text, year % 100);
        self.text.push('-');
        two(&mut self.text, at.month());
        self.text.push('-');
        two(&mut self.text, at.day());
        self.text.push(' ');
        two(&mut self.text, at.hour());
        self.text.push(':');
        two(&mut self.text, at.minute());
        self.text.push(':');
        two(&mut self.text, at.second());
        self.quote();
        self
    }

    fn ip(&mut self, [b, c, d]: [i32; 3]) -> &mut Self {
        self.separate();
        self.quote();
        self.text.push_str("10.");
        for (i, part) in [b, c, d].into_iter().enumerate() {
            if i > 0 {
                self.text.push('.');
            }
            self.text.push_str(itoa::Buffer::new().format(part));
        }
        self.quote();
        self
    }

    fn end(&mut self) {
        self.rows += 1;
        match self.format {
            Format::Copy => self.text.push('\n'),
            Format::Insert => {
                self.text.push(')');
                if self.rows == INSERT_ROWS {
                    self.seal();
                }
            }
        }
    }

    fn seal(&mut self) {
        if self.rows > 0 {
            let capacity = self.text.capacity();
            self.done.push(std::mem::replace(&mut self.text, String::with_capacity(capacity)));
            self.rows = 0;
        }
    }

    /// Everything rendered since the last call.
    fn take(&mut self) -> Vec<String> {
        self.seal();
        std::mem::take(&mut self.done)
    }
}

/// Draws the accounts (one Admin first, about 7 % internal service accounts, the rest people) and
/// renders them as `INSERT` statements (a few thousand rows at most: both backends take these).
fn users(config: &SeedConfig, first_id: i64, rng: &mut StdRng) -> (Population, Vec<String>) {
    let internal_count = (config.users as usize * 7).div_ceil(100).min(config.users as usize - 1);
    let mut rows = Table::new(Format::Insert, "users (id, name, user_name, email, role, is_internal)");
    let (mut humans, mut internals) = (Vec::new(), Vec::new());
    for n in 0..config.users as usize {
        let id = first_id + n as i64;
        let (name, user_name, role, internal) = if n > 0 && n <= internal_count {
            let service = SERVICES[n % SERVICES.len()];
            (format!("{service} service"), format!("svc-{service}-{id}"), "Member", true)
        } else {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let role = if n == 0 {
                "Admin"
            } else if n % 10 == 1 {
                "Manager"
            } else {
                "Member"
            };
            let handle = format!("{}.{}{id}", first.to_lowercase(), last.to_lowercase().replace([' ', '-'], ""));
            (format!("{first} {last}"), handle, role, false)
        };
        if internal {
            internals.push(id)
        } else {
            humans.push(id)
        }
        let email = format!("{user_name}@example.com");
        // SQL's `false`/`true` are spelled the same on both backends.
        let internal = if internal { "true" } else { "false" };
        rows.row().int(id).text(&name).text(&user_name).text(&email).text(role);
        rows.separate();
        rows.text.push_str(internal);
        rows.end();
    }
    // Zipf-like: the k-th most active person acts about 1/k^1.1 as often as the first. There is
    // always at least one person (the Admin), so the weights are never empty.
    let weights = (1..=humans.len()).map(|rank| 1.0 / (rank as f64).powf(1.1));
    let human_weights = WeightedIndex::new(weights).unwrap_or_else(|_| unreachable!("the Admin is a person"));
    (Population { humans, human_weights, internals }, rows.take())
}

fn pick_actor(population: &Population, rng: &mut StdRng) -> Actor {
    let roll: f64 = rng.random();
    if roll < 0.05 {
        Actor::Deleted
    } else if roll < 0.055 && !population.internals.is_empty() {
        // Starts of automated runs; each run then writes many actions.
        Actor::Internal(population.internals[rng.random_range(0..population.internals.len())])
    } else {
        Actor::Human(population.humans[population.human_weights.sample(rng)])
    }
}

/// Weekends see a fraction of the weekday traffic.
fn day_weight(day: NaiveDate) -> f64 {
    match day.weekday() {
        Weekday::Sat | Weekday::Sun => 0.15,
        _ => 1.0,
    }
}

/// A moment in working hours (UTC 07:00–19:00 mostly), sometimes outside them.
fn working_time(day: NaiveDate, rng: &mut StdRng) -> NaiveDateTime {
    let hour = if rng.random_bool(0.85) { rng.random_range(7..19) } else { rng.random_range(0..24) };
    day.and_hms_opt(hour, rng.random_range(0..60), rng.random_range(0..60)).unwrap_or_default()
}

fn weighted(table: &[(&str, u32)]) -> WeightedIndex<u32> {
    // The tables above are non-empty with positive weights.
    WeightedIndex::new(table.iter().map(|(_, w)| *w)).unwrap_or_else(|_| unreachable!("static weights"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(format: Format, actions: u64) -> (SeedReport, Vec<Chunk>) {
        let config = SeedConfig {
            users: 30,
            actions,
            days: 60,
            seed: 42,
            end_date: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
        };
        let mut rng = StdRng::seed_from_u64(config.seed);
        let (population, _) = users(&config, 1, &mut rng);
        let generator = Generator {
            first_day: config.end_date - Days::new(u64::from(config.days) - 1),
            config,
            rng,
            population,
            verbs: weighted(VERBS),
            object_types: weighted(OBJECT_TYPES),
            format,
        };
        let mut chunks = Vec::new();
        let report = generator.run(1, 1, |chunk| {
            chunks.push(chunk);
            true
        });
        (report, chunks)
    }

    #[test]
    fn the_same_seed_gives_the_same_rows_and_exactly_the_requested_actions() {
        let (first, first_chunks) = generate(Format::Copy, 120_000);
        let (second, second_chunks) = generate(Format::Copy, 120_000);
        assert_eq!(first, second);
        assert_eq!(first.actions, 120_000);
        assert_eq!(first_chunks.iter().map(|c| c.actions).sum::<u64>(), 120_000);
        assert!(first_chunks.len() >= 2, "large seeds are handed over in chunks");
        let text = |chunks: &[Chunk]| chunks.iter().flat_map(|c| c.activities.clone()).collect::<String>();
        assert_eq!(text(&first_chunks), text(&second_chunks));
    }

    #[test]
    fn copy_rows_are_tab_separated_with_backslash_n_for_null() {
        let mut table = Table::new(Format::Copy, ACTIVITY_COLUMNS);
        table.row().int(7).text("update").int(3).text("Anomaly").opt_int(None).end();
        let at = NaiveDate::from_ymd_opt(2026, 1, 2).and_then(|d| d.and_hms_opt(3, 4, 5)).unwrap_or_default();
        table.row().int(8).timestamp(at).opt_int(Some(12)).ip([1, 22, 254]).end();
        assert_eq!(table.take(), vec!["7\tupdate\t3\tAnomaly\t\\N\n8\t2026-01-02 03:04:05\t12\t10.1.22.254\n"]);
    }

    #[test]
    fn inserts_quote_text_and_split_into_statements() {
        let mut table = Table::new(Format::Insert, ACTIVITY_COLUMNS);
        for id in 0..INSERT_ROWS as i64 + 1 {
            table.row().int(id).text("create").int(1).text("Tag").opt_int(None).end();
        }
        let statements = table.take();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].starts_with("INSERT INTO activity (id, verb, transaction_id, object_type, object_id) VALUES (0,'create',1,'Tag',NULL), (1,"));
        assert_eq!(
            statements[1],
            format!("INSERT INTO {ACTIVITY_COLUMNS} VALUES ({},'create',1,'Tag',NULL)", INSERT_ROWS)
        );
    }
}
