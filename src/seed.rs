//! Deterministic synthetic activity: the demo's year, the benchmark data sets, load tests.
//!
//! The shape is meant to look like a real platform's log: a few users do most of the work (Zipf),
//! a handful of internal service accounts run bursty automated jobs at night, about 5 % of actions
//! belong to accounts that no longer exist (`user_id` NULL), weekdays are busier than weekends and
//! working hours busier than nights. For a given configuration (including `seed` and `end_date`)
//! the rows are always the same.
//!
//! Rows are written with multi-row `INSERT`s of a few thousand rows each, inside one database
//! transaction. Every value comes from this generator (numbers, timestamps and a fixed vocabulary
//! without quotes), which is why they are written as SQL literals rather than bound.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement, TransactionTrait};

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

/// Rows per `INSERT` statement.
const BATCH_ROWS: usize = 4_000;

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

/// Writes the synthetic log; `progress` is called with the number of activities written so far.
pub async fn seed(
    db: &DatabaseConnection,
    config: &SeedConfig,
    mut progress: impl FnMut(u64),
) -> Result<SeedReport, DbErr> {
    if config.users == 0 || config.days == 0 {
        return Err(DbErr::Custom("seed needs at least one user and one day".into()));
    }
    let backend = db.get_database_backend();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let txn = db.begin().await?;

    let first_user = next_id(&txn, "users").await?;
    let mut tx_id = next_id(&txn, "\"transaction\"").await?;
    let mut activity_id = next_id(&txn, "activity").await?;

    let population = write_users(&txn, config, first_user, &mut rng).await?;
    let verbs = weighted(VERBS);
    let object_types = weighted(OBJECT_TYPES);

    // Spread the transactions over the days by weekday weight, oldest day first, so ids grow with
    // time as they do in a real log.
    let first_day = config
        .end_date
        .checked_sub_days(Days::new(u64::from(config.days) - 1))
        .ok_or_else(|| DbErr::Custom("--days reaches before year 1".into()))?;
    let days: Vec<NaiveDate> = first_day.iter_days().take(config.days as usize).collect();
    let day_weights: Vec<f64> = days.iter().map(|d| day_weight(*d)).collect();
    let weight_sum: f64 = day_weights.iter().sum();

    let mut report = SeedReport { users: u64::from(config.users), ..Default::default() };
    let mut transactions = Rows::new("\"transaction\" (id, issued_at, user_id, remote_addr)");
    let mut activities = Rows::new("activity (id, verb, transaction_id, object_type, object_id)");
    let mut carried = 0.0;
    for (day, weight) in days.iter().zip(&day_weights) {
        // Activities due on this day, carrying the rounding remainder forward.
        let due = config.actions as f64 * weight / weight_sum + carried;
        let mut budget = due.floor() as u64;
        carried = due - budget as f64;
        if day == days.last().unwrap_or(day) {
            budget = config.actions - report.actions;
        }
        let mut stamps = Vec::new();
        while budget > 0 {
            let actor = pick_actor(&population, &mut rng);
            if let Actor::Internal(id) = actor {
                // An automated run: a burst of single-action transactions seconds apart.
                let mut at = day.and_hms_opt(rng.random_range(0..5), rng.random_range(0..60), 0).unwrap_or_default();
                for _ in 0..rng.random_range(5..40).min(budget) {
                    stamps.push((at, Actor::Internal(id), 1));
                    at += TimeDelta::seconds(rng.random_range(1..30));
                    budget -= 1;
                }
                continue;
            }
            let size = [1, 1, 1, 1, 2, 2, 3][rng.random_range(0..7)].min(budget);
            stamps.push((working_time(*day, &mut rng), actor, size));
            budget -= size;
        }
        stamps.sort_by_key(|(at, _, _)| *at);
        for (at, actor, size) in stamps {
            let user = match actor {
                Actor::Human(id) | Actor::Internal(id) => id.to_string(),
                Actor::Deleted => "NULL".to_owned(),
            };
            let ip =
                format!("'10.{}.{}.{}'", rng.random_range(0..8), rng.random_range(0..256), rng.random_range(1..255));
            transactions.push(format!("({tx_id}, '{}', {user}, {ip})", at.format("%Y-%m-%d %H:%M:%S")));
            for _ in 0..size {
                let verb = VERBS[verbs.sample(&mut rng)].0;
                let object_type = OBJECT_TYPES[object_types.sample(&mut rng)].0;
                let object_id =
                    if rng.random_bool(0.03) { "NULL".to_owned() } else { rng.random_range(1..50_000).to_string() };
                activities.push(format!("({activity_id}, '{verb}', {tx_id}, '{object_type}', {object_id})"));
                activity_id += 1;
            }
            report.transactions += 1;
            report.actions += size;
            tx_id += 1;
            if activities.len() >= BATCH_ROWS {
                // Transactions first: activities reference them.
                transactions.flush(&txn).await?;
                activities.flush(&txn).await?;
                progress(report.actions);
            }
        }
    }
    transactions.flush(&txn).await?;
    activities.flush(&txn).await?;
    if backend == DbBackend::Postgres {
        // Explicit ids leave the sequences behind; later inserts without ids must not collide.
        for table in ["users", "transaction", "activity"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    progress(report.actions);
    Ok(report)
}

/// Creates the accounts: one Admin first, about 7 % internal service accounts, the rest people.
async fn write_users(
    txn: &impl ConnectionTrait,
    config: &SeedConfig,
    first_id: i64,
    rng: &mut StdRng,
) -> Result<Population, DbErr> {
    let internal_count = (config.users as usize * 7).div_ceil(100).min(config.users as usize - 1);
    let mut rows = Rows::new("users (id, name, user_name, email, role, is_internal)");
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
        rows.push(format!("({id}, '{name}', '{user_name}', '{user_name}@example.com', '{role}', {internal})"));
        if rows.len() >= BATCH_ROWS {
            rows.flush(txn).await?;
        }
    }
    rows.flush(txn).await?;
    // Zipf-like: the k-th most active person acts about 1/k^1.1 as often as the first.
    let weights = (1..=humans.len()).map(|rank| 1.0 / (rank as f64).powf(1.1));
    let human_weights = WeightedIndex::new(weights).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(Population { humans, human_weights, internals })
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

#[derive(FromQueryResult)]
struct NextId {
    next: i64,
}

async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}");
    let row = NextId::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).one(db).await?;
    Ok(row.map_or(1, |row| row.next))
}

/// Rows waiting to be written by one multi-row `INSERT`.
struct Rows {
    into: &'static str,
    values: Vec<String>,
}

impl Rows {
    fn new(into: &'static str) -> Self {
        Rows { into, values: Vec::with_capacity(BATCH_ROWS) }
    }
    fn push(&mut self, row: String) {
        self.values.push(row);
    }
    fn len(&self) -> usize {
        self.values.len()
    }
    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if self.values.is_empty() {
            return Ok(());
        }
        let sql = format!("INSERT INTO {} VALUES {}", self.into, self.values.join(", "));
        self.values.clear();
        db.execute_unprepared(&sql).await.map(|_| ())
    }
}
