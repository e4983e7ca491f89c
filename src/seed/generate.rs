//! Draws the synthetic log: who acts (a Zipf-like population, internal service accounts, deleted
//! accounts), when (weekdays and working hours), and what (weighted verbs and object types), and
//! renders it into [`Chunk`]s for the loader.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;

use super::load::{ACTIVITY_COLUMNS, Chunk, Format, TRANSACTION_COLUMNS, Table};
use super::{SeedConfig, SeedReport};

/// The verbs and object types of the audited platform, with how common each is.
/// The `user_name` of the Admin a seed writes into an empty database.
pub(super) const ADMIN_USER_NAME: &str = "admin";

pub(super) const VERBS: &[(&str, u32)] = &[
    ("update", 40),
    ("create", 24),
    ("delete", 8),
    ("activate", 8),
    ("archive", 6),
    ("run", 6),
    ("invite", 3),
    ("acknowledge", 5),
];
pub(super) const OBJECT_TYPES: &[(&str, u32)] = &[
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

/// Who made a transaction.
#[derive(Clone, Copy)]
enum Actor {
    Human(i64),
    Internal(i64),
    Deleted,
}

pub(super) struct Population {
    pub(super) humans: Vec<i64>,
    pub(super) human_weights: WeightedIndex<f64>,
    pub(super) internals: Vec<i64>,
}

/// Draws the log, day by day, and renders it into chunks.
pub(super) struct Generator {
    pub(super) config: SeedConfig,
    pub(super) first_day: NaiveDate,
    pub(super) rng: StdRng,
    pub(super) population: Population,
    pub(super) verbs: WeightedIndex<u32>,
    pub(super) object_types: WeightedIndex<u32>,
    pub(super) format: Format,
}

impl Generator {
    /// Runs to the end or until `hand_over` returns false (the writer has gone).
    pub(super) fn run(
        mut self,
        mut tx_id: i64,
        mut activity_id: i64,
        mut hand_over: impl FnMut(Chunk) -> bool,
    ) -> SeedReport {
        let config = &self.config;
        let rng = &mut self.rng;
        // Spread the transactions over the days by weekday weight, oldest day first, so ids grow
        // with time as they do in a real log.
        let days: Vec<NaiveDate> = self.first_day.iter_days().take(config.days as usize).collect();
        // A day that ends at `not_after` (today, up to now) gets the share of a day that has passed.
        let passed = |day: NaiveDate| match config.not_after {
            Some(limit) if limit.date() == day => {
                (limit - day.and_time(chrono::NaiveTime::MIN)).num_seconds() as f64 / 86_400.0
            }
            _ => 1.0,
        };
        let day_weights: Vec<f64> = days.iter().map(|d| day_weight(*d) * passed(*d)).collect();
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
            if let Some(limit) = config.not_after.filter(|limit| limit.date() == *day) {
                squeeze_before(&mut stamps, limit);
            }
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

/// Draws the accounts (one Admin first, about 7 % internal service accounts, the rest people) and
/// renders them as `INSERT` statements (a few thousand rows at most: both backends take these).
pub(super) fn users(config: &SeedConfig, first_id: i64, rng: &mut StdRng) -> (Population, Vec<String>) {
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
            if n == 0 && first_id == 1 {
                // The platform's administrator, in a database of its own: the account README's
                // `token create --user admin` names. (Added to a log that has users, the Admin
                // gets a handle like everyone else: `admin` may be taken.)
                (format!("{first} {last}"), ADMIN_USER_NAME.to_owned(), "Admin", false)
            } else if n == 0 {
                let handle = format!("{}.{}{id}", first.to_lowercase(), last.to_lowercase().replace([' ', '-'], ""));
                (format!("{first} {last}"), handle, "Admin", false)
            } else {
                let role = if n % 10 == 1 { "Manager" } else { "Member" };
                let handle = format!("{}.{}{id}", first.to_lowercase(), last.to_lowercase().replace([' ', '-'], ""));
                (format!("{first} {last}"), handle, role, false)
            }
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

/// Moves a day's stamps (sorted) from its whole 24 hours into the hours before `limit`, keeping
/// their order and proportions: today's activity, as of now.
fn squeeze_before(stamps: &mut [(NaiveDateTime, Actor, u64)], limit: NaiveDateTime) {
    let start = limit.date().and_time(chrono::NaiveTime::MIN);
    let elapsed = (limit - start).num_milliseconds();
    for (at, _, _) in stamps.iter_mut() {
        let offset = (*at - start).num_milliseconds().clamp(0, 86_400_000 - 1);
        // Whole seconds, as the log stores them; strictly before `limit`.
        let squeezed = offset * elapsed / 86_400_000 / 1000;
        *at = start + TimeDelta::seconds(squeezed);
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

pub(super) fn weighted(table: &[(&str, u32)]) -> WeightedIndex<u32> {
    // The tables above are non-empty with positive weights.
    WeightedIndex::new(table.iter().map(|(_, w)| *w)).unwrap_or_else(|_| unreachable!("static weights"))
}

#[cfg(test)]
mod tests {
    use chrono::Days;
    use rand::SeedableRng;

    use super::*;

    fn generate(format: Format, actions: u64) -> (SeedReport, Vec<Chunk>) {
        let config = SeedConfig {
            users: 30,
            actions,
            days: 60,
            seed: 42,
            end_date: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
            not_after: None,
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
}
