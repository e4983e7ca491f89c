//! The audit rollups: pre-aggregated action counts that let the gateway answer totals, the chart,
//! the top figures and deep-page seeks without reading every activity in a long window
//! (docs/scale.md explains the design and BENCHMARKS.md what it costs and buys).
//!
//! Six tables, each keyed by a time bucket and by the dimensions one family of
//! figures needs:
//!
//! | table | dimensions (with `grain` and `bucket`, the key: [`create_tables`]) | serves |
//! |---|---|---|
//! | `audit_rollup_total` | `is_system` | `total`, `actions_per_day`, the list's total and deep pages without an `actions` filter |
//! | `audit_rollup_time` | `is_system, verb` | the same with an `actions` filter, and the verbs facet |
//! | `audit_rollup_entity` | `is_system, verb, object_type` | `top_entity_type` |
//! | `audit_rollup_user` | `user_id, verb` | `unique_actors`, `top_actor` and everything under a `users` filter, with an `actions` filter (days and months only) |
//! | `audit_rollup_actor` | `user_id` | the same without an `actions` filter |
//! | `audit_rollup_user_entity` | `user_id, verb, object_type` | `top_entity_type` under a `users` filter (days and months only; packed: one row per user and bucket) |
//!
//! `grain` 0 is a 15-minute bucket, 1 a UTC day, 2 a UTC calendar month and 3 (the total and time
//! tables only) an hour; `bucket` is the bucket's start in seconds since the Unix epoch. `n` is the number
//! of activities in the bucket. Each table's `grains` says which it keeps (the per-user tables
//! count only actions with a user); readers count the other grains from the log.
//!
//! **Who keeps them right.** Other systems write the log, so changes are captured by triggers
//! inside the writers' own transactions: nothing has to run beside the database for answers to be
//! exact. Every event is turned into *deltas* — rows `(issued_at, user_id, is_internal, verb,
//! object_type, delta)`, `-1` for what an activity was filed as and `+1` for what it is now — and
//! the trigger *appends* them to [`DELTA`] ([`append`]; an update's summed by key, so that what did
//! not move cancels out): one insert, no shared row updated or locked, so concurrent writers never
//! queue behind each other's hot buckets. [`compact`] folds the deltas into the six tables with one
//! generic upsert per table ([`apply`], also the backfill's way in) and deletes them in the same
//! statement or transaction; readers sum each table's rows with the pending deltas
//! ([`Rollup::pending`]), so an answer is exact whether the deltas were folded or not, and folding
//! only keeps the pending part small. The invariant: each activity is counted once per grain,
//! tables and deltas together, under its transaction's `issued_at` and `user_id` and its user's
//! *current* `is_internal` (false when the user row does not exist). Hence the events:
//!
//! - `activity` insert, delete, update (of verb, object type or transaction);
//! - `transaction` update of `issued_at` or `user_id` (which also covers `ON DELETE SET NULL` when
//!   a user is deleted: the referential action fires it);
//! - `users` update of `is_internal`, insert (a row for a dangling `user_id`), and, *before* a
//!   delete, re-filing an internal user's actions as user actions (once the row is gone they are);
//! - PostgreSQL `TRUNCATE activity` empties the rollups and the deltas.
//!
//! Counts that drop to zero stay as zero rows; readers ignore them. (A packed table drops the
//! entry, and keeps `[]` for a bucket with none left.)
//!
//! PostgreSQL triggers are statement-level with transition tables, so a multi-row `INSERT` or
//! `COPY` appends its deltas in one statement; SQLite only has row-level triggers.
//!
//! **Current definitions, not history.** These functions are what `seed`, `rollups rebuild` and
//! future migrations use. The migration that created the rollups runs a frozen copy of what they
//! generated when it shipped; a change here that should reach installed databases is a new
//! migration (a test compares a fresh, a stepwise and a seeded database's schemas).
//!
//! **Concurrent writers.** Writers only append. A user's `is_internal` changing is the one event
//! that must not interleave with that user's writes: on PostgreSQL the `users` triggers wait for
//! the log's writers to commit before they re-file ([`lock_log`]). Concurrent compactions each
//! fold the rows they deleted, and write keys in key order so they wait rather than deadlock.
//! SQLite has one writer at a time.

use sea_orm_migration::sea_orm::{
    self, ConnectionTrait, DbBackend, DbErr, FromQueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

/// Bucket widths of the fixed grains; the month grain follows the calendar.
pub const QUARTER_HOUR: i64 = 900;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// The grains as stored in the `grain` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    QuarterHour = 0,
    Day = 1,
    Month = 2,
    /// `audit_rollup_total` and `audit_rollup_time` only: the chart's moved hours between local
    /// and UTC midnight.
    Hour = 3,
}

/// One rollup table: its name and the dimensions after `(grain, bucket)`.
struct Table {
    name: &'static str,
    dimensions: &'static str,
    /// The grains it keeps. Readers count what a table does not keep from the log itself.
    grains: &'static [Grain],
    /// Whether readers sum it over all users (a per-user table that is not is read only under a
    /// `users` filter, so it needs no index by bucket: see [`create_tables`]).
    read_for_all_users: bool,
    /// Whether it keeps one row per user and bucket, `(grain, bucket, user_id, counts)`, with the
    /// counts of that user's bucket packed into `counts`: a JSON array of one `[dimension…, n]`
    /// entry per value of the other dimensions (`[["update", "Tag", 3], …]`). Readers see it
    /// unpacked, as rows of every dimension ([`Rollup::source`]).
    packed: bool,
}

use Grain::{Day, Hour, Month, QuarterHour};

/// In [`Rollup`] order.
const TABLES: [Table; 6] = [
    Table {
        name: "audit_rollup_time",
        dimensions: "is_system, verb",
        grains: &[QuarterHour, Day, Month, Hour],
        read_for_all_users: true,
        packed: false,
    },
    Table {
        name: "audit_rollup_entity",
        dimensions: "is_system, verb, object_type",
        grains: &[QuarterHour, Day, Month],
        read_for_all_users: true,
        packed: false,
    },
    // Actions without a user add no actor and match no `users` filter. No quarter hours: they
    // were three rows in four (5.1M on the 10M log, 630 MB), and what reads them (actors under an
    // `actions` filter, and a `users` filter with one) needs a window's ragged ends only, which
    // the reader counts from the log.
    Table {
        name: "audit_rollup_user",
        dimensions: "user_id, verb",
        grains: &[Day, Month],
        read_for_all_users: true,
        packed: false,
    },
    // The same without the verb: a year of actors is ~2,000 rows a month instead of ~15,000. It
    // keeps its quarter hours: the actors of every window in a zone or at an offset read them.
    Table {
        name: "audit_rollup_actor",
        dimensions: "user_id",
        grains: &[QuarterHour, Day, Month],
        read_for_all_users: true,
        packed: false,
    },
    // `top_entity_type` under a `users` filter. Days and months only: at 15 minutes it would be as
    // large as the log, and a window's ragged ends hold few of a few users' rows, which the reader
    // counts from the log itself. (Months only would halve the per-user tables again, but then
    // the partial months come from the log: 20 days of the three busiest accounts of the 10M log
    // took 370 ms where their day rows take 8.) Packed: most users touch a few of the verbs and
    // object types on a day, and as rows of their own those were nearly one per activity (3.5M
    // day rows on the 10M log, with an index entry each); a user's day is one row instead.
    Table {
        name: "audit_rollup_user_entity",
        dimensions: "user_id, verb, object_type",
        grains: &[Day, Month],
        read_for_all_users: false,
        packed: true,
    },
    // The time table without the verb: what a dashboard without an `actions` filter reads. An
    // hour is at most two rows (an eighth of the time table's on the benchmark log, 8 verbs), so a
    // year of local days in Kathmandu reads ~3,000 rollup rows where the time table read ~23,000.
    Table {
        name: "audit_rollup_total",
        dimensions: "is_system",
        grains: &[QuarterHour, Day, Month, Hour],
        read_for_all_users: true,
        packed: false,
    },
];

impl Table {
    fn per_user(&self) -> bool {
        self.dimensions.starts_with("user_id")
    }

    /// The condition on bucketed delta rows that selects the ones this table counts.
    fn only(&self) -> String {
        let grains: Vec<String> = self.grains.iter().map(|&grain| (grain as i64).to_string()).collect();
        let grains = format!("grain IN ({})", grains.join(", "));
        if self.per_user() { format!("user_id IS NOT NULL AND {grains}") } else { grains }
    }

    /// The columns of its key, in the order the backend keeps them (see [`create_tables`]).
    fn key(&self, backend: DbBackend) -> String {
        let stored = if self.packed { "user_id" } else { self.dimensions };
        if backend == DbBackend::Postgres && self.per_user() {
            let others = stored.strip_prefix("user_id").unwrap_or_default();
            format!("user_id, grain, bucket{others}")
        } else {
            format!("grain, bucket, {stored}")
        }
    }

    /// A packed table's dimensions inside `counts`: all but `user_id`.
    fn packed_dimensions(&self) -> &'static str {
        self.dimensions.strip_prefix("user_id, ").unwrap_or(self.dimensions)
    }
}

/// How a packed table's `counts` are written and read, by backend: PostgreSQL keeps them as
/// `jsonb`, SQLite as JSON text; the entries are the same arrays.
mod packing {
    use super::{DbBackend, Table};

    /// The column's type.
    pub(super) fn column_type(backend: DbBackend) -> &'static str {
        match backend {
            DbBackend::Postgres => "JSONB",
            _ => "TEXT",
        }
    }

    /// An aggregate: the JSON array of one `[dimension…, n]` entry per row of the group, `[]` for
    /// none.
    pub(super) fn pack(backend: DbBackend, table: &Table) -> String {
        let fields = format!("{}, n", table.packed_dimensions());
        match backend {
            DbBackend::Postgres => format!("COALESCE(jsonb_agg(jsonb_build_array({fields})), '[]')"),
            _ => format!("COALESCE(json_group_array(json_array({fields})), '[]')"),
        }
    }

    /// `SELECT` list and `FROM` item: the entries of the JSON array `counts` as rows of the packed
    /// dimensions and `n` (`FROM` may name other items before it: the function reads their columns).
    pub(super) fn entries(backend: DbBackend, table: &Table, counts: &str) -> (String, String) {
        let mut fields: Vec<String> = table
            .packed_dimensions()
            .split(", ")
            .enumerate()
            .map(|(i, dimension)| format!("c.value ->> {i} AS {dimension}"))
            .collect();
        fields.push(format!("CAST(c.value ->> {} AS BIGINT) AS n", fields.len()));
        let from = match backend {
            DbBackend::Postgres => format!("jsonb_array_elements({counts}) AS c(value)"),
            _ => format!("json_each({counts}) AS c"),
        };
        (fields.join(", "), from)
    }
}

/// The append-only table the triggers write (see the module docs, "Who keeps them right").
pub const DELTA: &str = "audit_rollup_delta";
const DELTA_COLUMNS: &str = "issued_at, user_id, is_internal, verb, object_type, delta";

pub const TABLE_NAMES: [&str; 6] =
    [TABLES[0].name, TABLES[1].name, TABLES[2].name, TABLES[3].name, TABLES[4].name, TABLES[5].name];

/// `CREATE TABLE` statements for the rollups and their indexes.
///
/// Every table's key is `(grain, bucket, dimensions…)`, one row per key (a packed table's is
/// `(grain, bucket, user_id)`, its other dimensions inside `counts`). How it is ordered
/// depends on the backend, because readers scan two ways: a window's buckets for all users (totals,
/// actors, facets), and a few users' buckets (a `users` filter).
/// - SQLite clusters a table on its key (`WITHOUT ROWID`), so the key leads with the bucket and the
///   per-user tables have an index by `user_id` for the second way.
/// - PostgreSQL keeps rows in a heap apart from every index, so the per-user tables' key leads
///   with `user_id` (the second way) and an index on `(grain, bucket)` serves the first; its
///   entries repeat (~150 users and verbs share a quarter hour), which B-tree deduplication stores
///   once: 48 MB for `audit_rollup_user` where the `user_id` index took 286 MB, on the 10M log.
pub fn create_tables(backend: DbBackend) -> Vec<String> {
    let postgres = backend == DbBackend::Postgres;
    let suffix = if postgres { "" } else { " WITHOUT ROWID" };
    let column = |dimension: &str| match dimension {
        "is_system" => "is_system SMALLINT NOT NULL",
        "verb" => "verb VARCHAR(255) NOT NULL",
        "object_type" => "object_type VARCHAR(255) NOT NULL",
        _ => "user_id BIGINT NOT NULL",
    };
    let mut statements: Vec<String> = TABLES
        .iter()
        .map(|table| {
            let columns = if table.packed {
                format!("{}, counts {} NOT NULL", column("user_id"), packing::column_type(backend))
            } else {
                let columns: Vec<&str> = table.dimensions.split(", ").map(column).collect();
                format!("{}, n BIGINT NOT NULL", columns.join(", "))
            };
            format!(
                "CREATE TABLE IF NOT EXISTS {name} (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, {columns}, \
                 PRIMARY KEY ({key})){suffix}",
                name = table.name,
                key = table.key(backend),
            )
        })
        .collect();
    for table in TABLES.iter().filter(|table| table.per_user()) {
        let name = table.name;
        if !postgres {
            statements.push(format!("CREATE INDEX IF NOT EXISTS ix_{name}_user_id ON {name} (user_id, grain, bucket)"));
        } else if table.read_for_all_users {
            statements.push(format!("CREATE INDEX IF NOT EXISTS ix_{name}_bucket ON {name} (grain, bucket)"));
        }
    }
    statements.push(format!(
        "CREATE TABLE IF NOT EXISTS {DELTA} (issued_at TIMESTAMP NOT NULL, user_id BIGINT, \
         is_internal BOOLEAN NOT NULL, verb VARCHAR(255) NOT NULL, object_type VARCHAR(255) NOT NULL, \
         delta BIGINT NOT NULL)"
    ));
    statements
}

/// Whole seconds since the Unix epoch of a `TIMESTAMP` column holding UTC, rounded down (a SQL
/// expression). The gateway's queries use the same one, so buckets and day indexes agree.
pub fn epoch_seconds(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        // SQLite keeps timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]` text; `%s` truncates.
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER)"),
    }
}

/// Seconds since the epoch of the start of `column`'s bucket of `grain` (a SQL expression);
/// floors correctly before 1970 too. Readers bucket rows of the log with it the way the rollups do.
pub fn bucket_of(backend: DbBackend, column: &str, grain: Grain) -> String {
    let seconds = epoch_seconds(backend, column);
    match (grain, backend) {
        (Grain::QuarterHour, _) => floor(&seconds, QUARTER_HOUR),
        (Grain::Day, _) => floor(&seconds, DAY),
        (Grain::Hour, _) => floor(&seconds, HOUR),
        (Grain::Month, DbBackend::Postgres) => {
            format!("CAST(EXTRACT(EPOCH FROM date_trunc('month', {column})) AS BIGINT)")
        }
        (Grain::Month, _) => format!("CAST(strftime('%s', {column}, 'start of month') AS INTEGER)"),
    }
}

/// The SQL integer `seconds` rounded down to a multiple of `width`, before 1970 too.
fn floor(seconds: &str, width: i64) -> String {
    format!("{seconds} - ((({seconds}) % {width}) + {width}) % {width}")
}

/// The start of the bucket of the grain in the SQL expression `grain` that holds the quarter hour
/// starting `quarter_hour` seconds after the epoch. Hours, UTC days and UTC months all begin on a
/// quarter hour, so a quarter hour's bucket is its deltas' bucket at every grain.
fn bucket_of_quarter_hour(backend: DbBackend, quarter_hour: &str, grain: &str) -> String {
    let month = match backend {
        DbBackend::Postgres => format!(
            "CAST(EXTRACT(EPOCH FROM date_trunc('month', to_timestamp({quarter_hour}) AT TIME ZONE 'UTC')) AS BIGINT)"
        ),
        _ => format!("CAST(strftime('%s', {quarter_hour}, 'unixepoch', 'start of month') AS INTEGER)"),
    };
    format!(
        "CASE {grain} WHEN 0 THEN {quarter_hour} WHEN 1 THEN {day} WHEN 3 THEN {hour} ELSE {month} END",
        day = floor(quarter_hour, DAY),
        hour = floor(quarter_hour, HOUR),
    )
}

/// The delta rows of `deltas` summed by quarter hour and key, then one row per grain with its
/// bucket. Summing first is what makes a folding cheap: the deltas of a second of writes mostly
/// share a few quarter hours, users and verbs (20,000 deltas of 1,000-row batches that share their
/// quarter hours fold in 49 ms instead of 368 on SQLite), and a delta is bucketed once, not once
/// per grain.
fn bucketed(backend: DbBackend, deltas: &str) -> String {
    let quarter_hours = format!(
        "SELECT quarter_hour, user_id, is_system, verb, object_type, SUM(delta) AS delta FROM (\
         SELECT {quarter_hour} AS quarter_hour, d.user_id AS user_id, \
         CASE WHEN d.is_internal THEN 1 ELSE 0 END AS is_system, d.verb AS verb, d.object_type AS object_type, \
         d.delta AS delta FROM ({deltas}) AS d) AS s \
         GROUP BY quarter_hour, user_id, is_system, verb, object_type HAVING SUM(delta) <> 0",
        quarter_hour = bucket_of(backend, "d.issued_at", Grain::QuarterHour),
    );
    format!(
        "SELECT g.grain AS grain, {bucket} AS bucket, q.user_id AS user_id, q.is_system AS is_system, \
         q.verb AS verb, q.object_type AS object_type, q.delta AS delta \
         FROM ({quarter_hours}) AS q \
         CROSS JOIN (SELECT 0 AS grain UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) AS g",
        bucket = bucket_of_quarter_hour(backend, "q.quarter_hour", "g.grain"),
    )
}

/// Adds the bucketed rows of `source` (a table name or a parenthesised query) into `table`.
/// Rows are written in one order per table, so concurrent writers lock rollup rows in the same
/// order: by bucket where readers scan a window for all users, which keeps a bulk load's rows of
/// a bucket together in PostgreSQL's heap (written by user, a window's rows were spread over the
/// whole table: year insights 14 → 18 ms on the 10M log), and by key otherwise.
fn upsert(backend: DbBackend, table: &Table, source: &str) -> String {
    let (name, dimensions, key) = (table.name, table.dimensions, table.key(backend));
    let order = if table.read_for_all_users { format!("grain, bucket, {dimensions}") } else { key.clone() };
    let counted = format!(
        "SELECT grain, bucket, {dimensions}, SUM(delta) AS n FROM {source} AS b WHERE {only} \
         GROUP BY grain, bucket, {dimensions} HAVING SUM(delta) <> 0",
        only = table.only(),
    );
    if !table.packed {
        return format!(
            "INSERT INTO {name} (grain, bucket, {dimensions}, n) SELECT grain, bucket, {dimensions}, n \
             FROM ({counted}) AS k ORDER BY {order} ON CONFLICT ({key}) DO UPDATE SET n = {name}.n + excluded.n"
        );
    }
    // A bucket already kept gets its entries and the new ones summed by key, in one expression
    // over the row as locked, like `n = n + excluded.n`: concurrent foldings add up.
    let pack = packing::pack(backend, table);
    let packed = table.packed_dimensions();
    let (fields, kept) = packing::entries(backend, table, &format!("{name}.counts"));
    let (_, added) = packing::entries(backend, table, "excluded.counts");
    format!(
        "INSERT INTO {name} (grain, bucket, user_id, counts) SELECT grain, bucket, user_id, {pack} \
         FROM ({counted}) AS k GROUP BY grain, bucket, user_id ORDER BY {order} \
         ON CONFLICT ({key}) DO UPDATE SET counts = (SELECT {pack} FROM (\
         SELECT {packed}, SUM(n) AS n FROM (SELECT {fields} FROM {kept} UNION ALL SELECT {fields} FROM {added}) AS e \
         GROUP BY {packed} HAVING SUM(n) <> 0) AS m)"
    )
}

/// Statements that add the delta rows of `deltas` (a query with columns `issued_at, user_id,
/// is_internal, verb, object_type, delta`) straight into every rollup table: the backfill's way.
/// On PostgreSQL it is one statement that computes the deltas once; on SQLite they must run on one
/// connection (a transaction), whose temporary table holds the bucketed deltas.
pub fn apply(backend: DbBackend, deltas: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![postgres_apply("", deltas, "SELECT COUNT(*) FROM b")],
        _ => sqlite_apply(deltas),
    }
}

/// One PostgreSQL statement: `prelude` (CTEs ending in `, `, which `deltas` may read), the deltas
/// bucketed once, one upsert per table, then `tail` (the statement's own result).
fn postgres_apply(prelude: &str, deltas: &str, tail: &str) -> String {
    let upserts: Vec<String> = TABLES
        .iter()
        .map(|table| format!("{}_rows AS ({})", table.name, upsert(DbBackend::Postgres, table, "b")))
        .collect();
    format!(
        "WITH {prelude}b AS MATERIALIZED ({bucketed}), {upserts} {tail}",
        bucketed = bucketed(DbBackend::Postgres, deltas),
        upserts = upserts.join(", "),
    )
}

/// SQLite: `deltas` bucketed once into a temporary table ([`sqlite_bucket`]), then one upsert per
/// table from it ([`sqlite_fold`]), rather than each upsert bucketing them again.
fn sqlite_apply(deltas: &str) -> Vec<String> {
    std::iter::once(sqlite_bucket(deltas)).chain(sqlite_fold()).collect()
}

/// The temporary table of a SQLite folding: its connection's own, gone with the transaction if
/// that fails, dropped by [`sqlite_fold`] if not.
const BUCKETED: &str = "audit_rollup_bucketed";

fn sqlite_bucket(deltas: &str) -> String {
    format!("CREATE TEMP TABLE {BUCKETED} AS {}", bucketed(DbBackend::Sqlite, deltas))
}

/// Indexes the bucketed deltas in the two orders the upserts group them by (every table's
/// dimensions are a prefix of the entity table's or of the per-user entity table's), so each upsert
/// reads its groups in key order instead of sorting every row: a folding of 20,000 deltas that
/// share no quarter hour took 481 ms instead of 667. Then the upserts, then the table goes.
fn sqlite_fold() -> Vec<String> {
    let indexes = [Rollup::Entity, Rollup::UserEntity].map(|family| {
        format!(
            "CREATE INDEX temp.ix_{BUCKETED}_as_{table} ON {BUCKETED} (grain, bucket, {dimensions}, delta)",
            table = family.name(),
            dimensions = family.dimensions(),
        )
    });
    let upserts = TABLES.iter().map(|table| upsert(DbBackend::Sqlite, table, BUCKETED));
    indexes.into_iter().chain(upserts).chain(std::iter::once(format!("DROP TABLE {BUCKETED}"))).collect()
}

/// The statement every trigger runs: its deltas appended to [`DELTA`]. An insert and nothing
/// else: no shared row is read, updated or locked, so concurrent writers never wait for each other
/// here.
fn append(deltas: &Deltas) -> String {
    let columns = format!("INSERT INTO {DELTA} ({DELTA_COLUMNS})");
    match deltas {
        Deltas::OneSign(deltas) => format!("{columns} {deltas}"),
        Deltas::BothSigns(deltas) => format!(
            "{columns} SELECT issued_at, user_id, is_internal, verb, object_type, SUM(delta) FROM ({deltas}) AS d \
             GROUP BY issued_at, user_id, is_internal, verb, object_type HAVING SUM(delta) <> 0"
        ),
    }
}

/// The rollup tables, by what they count (the module docs list their keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollup {
    Time = 0,
    Entity = 1,
    User = 2,
    Actor = 3,
    UserEntity = 4,
    Total = 5,
}

impl Rollup {
    fn table(self) -> &'static Table {
        &TABLES[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.table().name
    }

    /// Its dimensions, after `grain` and `bucket` (`user_id, verb`, …).
    pub fn dimensions(self) -> &'static str {
        self.table().dimensions
    }

    /// Whether it keeps buckets of `grain`; readers count the rest from the log.
    pub fn keeps(self, grain: Grain) -> bool {
        self.table().grains.contains(&grain)
    }

    /// Where readers find its rows, with every dimension and `n` as columns: its name, or for a
    /// packed table a parenthesised query that unpacks it.
    pub fn source(self, backend: DbBackend) -> String {
        let table = self.table();
        if !table.packed {
            return table.name.to_owned();
        }
        let (fields, entries) = packing::entries(backend, table, "p.counts");
        format!("(SELECT p.grain, p.bucket, p.user_id, {fields} FROM {} AS p CROSS JOIN {entries})", table.name)
    }

    /// The deltas not compacted yet, as rows of this table (its key columns and `n`): a
    /// parenthesised query that readers add to the table's own rows. It reads [`PENDING`], which
    /// the statement must define at its head ([`pending_cte`]).
    pub fn pending(self) -> String {
        let table = self.table();
        format!(
            "(SELECT grain, bucket, {dimensions}, n FROM {PENDING} WHERE {only})",
            dimensions = table.dimensions,
            only = table.only(),
        )
    }
}

/// The name under which a statement reads its pending deltas, bucketed once ([`pending_cte`]).
pub const PENDING: &str = "audit_rollup_pending";

/// The CTE `audit_rollup_pending` (for a statement's `WITH`): the pending deltas summed by key at
/// every grain, with their bucket ([`bucketed`]). Not marked `MATERIALIZED`: read once, it is
/// inlined and each read buckets only the grains it asks for (2,000 deltas: a page's count 3.7 ms
/// inlined, 8.8 ms materialized); read by many parts of one statement, it is bucketed once for all
/// of them (a year's insights in Berlin: 30 ms instead of 46).
pub fn pending_cte(backend: DbBackend) -> String {
    format!(
        "{PENDING} AS (SELECT grain, bucket, user_id, is_system, verb, object_type, delta AS n FROM ({}) AS b)",
        bucketed(backend, &format!("SELECT {DELTA_COLUMNS} FROM {DELTA}"))
    )
}

/// How many deltas one compaction statement folds at most: a backlog (compaction stopped for a
/// day) is worked off in bounded statements rather than one that holds every row.
const COMPACTION_BATCH: i64 = 50_000;

#[derive(FromQueryResult)]
struct Folded {
    n: i64,
}

/// Folds the deltas into the rollup tables and removes them, in batches, and returns how many
/// delta rows it folded. Readers see a batch either still in [`DELTA`] or already in the tables,
/// never both or neither: on PostgreSQL a batch is one statement (`DELETE … RETURNING` feeding the
/// upserts), on SQLite one transaction that holds the write lock from its start. Two
/// compactions at once are safe (each row is deleted, hence folded, by one of them), merely
/// wasteful. It refuses to fold for a newer schema than its own ([`known_schema`]).
pub async fn compact(db: &sea_orm::DatabaseConnection) -> Result<u64, DbErr> {
    known_schema(db).await?;
    let backend = db.get_database_backend();
    let mut total = 0;
    loop {
        let folded = match backend {
            DbBackend::Postgres => {
                let statement = postgres_apply(
                    &format!(
                        "moved AS (DELETE FROM {DELTA} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {DELTA} LIMIT $1)) \
                         RETURNING {DELTA_COLUMNS}), "
                    ),
                    &format!("SELECT {DELTA_COLUMNS} FROM moved"),
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM moved",
                );
                let statement = Statement::from_sql_and_values(backend, statement, [COMPACTION_BATCH.into()]);
                Folded::find_by_statement(statement).one(db).await?.map_or(0, |row| row.n)
            }
            _ => {
                // The batch's last delta; inside the transaction no other writer can add rows, so
                // every statement below sees the same batch.
                let batch =
                    format!("rowid <= (SELECT MAX(rowid) FROM (SELECT rowid FROM {DELTA} ORDER BY rowid LIMIT ?))");
                // `IMMEDIATE`: the write lock from the start. The first statement only reads the
                // log's database (it writes the temporary one); deferred, a writer committing before
                // the upserts would leave this transaction unable to write (`database is locked`).
                let immediate = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                let txn = db.begin_with_options(immediate).await?;
                let bucket = sqlite_bucket(&format!("SELECT {DELTA_COLUMNS} FROM {DELTA} WHERE {batch}"));
                txn.execute_raw(Statement::from_sql_and_values(backend, bucket, [COMPACTION_BATCH.into()])).await?;
                for statement in sqlite_fold() {
                    txn.execute_unprepared(&statement).await?;
                }
                let deleted = txn
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        format!("DELETE FROM {DELTA} WHERE {batch}"),
                        [COMPACTION_BATCH.into()],
                    ))
                    .await?;
                txn.commit().await?;
                i64::try_from(deleted.rows_affected()).unwrap_or(i64::MAX)
            }
        };
        total += u64::try_from(folded).unwrap_or(0);
        if folded < COMPACTION_BATCH {
            return Ok(total);
        }
    }
}

#[derive(FromQueryResult)]
struct Version {
    version: String,
}

/// Fails when the database records a migration this code does not know. A newer version may have
/// added a rollup table, and folding deltas without it would take them from the pending ones
/// before they reached it: that table would then miss them for good. So a gateway still running
/// while a newer one migrates stops folding (and says why); its answers stay exact, since its
/// readers add the pending deltas to the tables they know.
async fn known_schema(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    use sea_orm_migration::MigratorTrait;
    let known: Vec<String> = crate::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let statement = Statement::from_string(db.get_database_backend(), "SELECT version FROM seaql_migrations");
    let recorded = Version::find_by_statement(statement).all(db).await?;
    // `mod`: what the third migration recorded itself as for a while (`db::migrate` renames it).
    let unknown: Vec<String> = recorded
        .into_iter()
        .map(|row| row.version)
        .filter(|version| version != "mod" && !known.contains(version))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(DbErr::Custom(format!(
        "the database has migrations this version does not know ({}): a newer gateway folds the rollup \
         deltas; this one leaves them pending",
        unknown.join(", ")
    )))
}

/// The head of a delta query: the six delta columns, named.
fn select_deltas(issued_at: &str, user_id: &str, is_internal: &str, activity: &str, sign: i32) -> String {
    format!(
        "SELECT {issued_at} AS issued_at, {user_id} AS user_id, {is_internal} AS is_internal, \
         {activity}.verb AS verb, {activity}.object_type AS object_type, {sign} AS delta"
    )
}

/// Every activity whose transaction was issued in `[from, to)` (SQL literals, each optional), as
/// `+1` deltas: what the backfill adds.
pub fn activity_deltas(from: Option<&str>, to: Option<&str>) -> String {
    let mut sql = select_deltas("t.issued_at", "t.user_id", "COALESCE(u.is_internal, FALSE)", "a", 1);
    sql.push_str(
        " FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id LEFT JOIN users u ON u.id = t.user_id \
         WHERE TRUE",
    );
    if let Some(from) = from {
        sql.push_str(&format!(" AND t.issued_at >= {from}"));
    }
    if let Some(to) = to {
        sql.push_str(&format!(" AND t.issued_at < {to}"));
    }
    sql
}

/// A trigger: the event it fires on and the deltas it applies.
struct Trigger {
    name: &'static str,
    table: &'static str,
    /// `AFTER INSERT`, `BEFORE DELETE`, …
    timing: &'static str,
    /// SQLite only: the columns of an `UPDATE OF` and a `WHEN` condition.
    sqlite_of: &'static str,
    sqlite_when: &'static str,
    deltas: Deltas,
}

/// A trigger's deltas (a query of the six delta columns), by whether they can cancel out.
enum Deltas {
    /// All `+1` (an insert) or all `-1` (a delete): appended as they are, one row per activity.
    /// Summing them by key first would save rows only where one statement writes several
    /// activities of one moment, user, verb and object type, and the folding sums them anyway;
    /// the aggregation was ~25 µs of the ~60 µs the PostgreSQL trigger cost a request-shaped
    /// writer per `INSERT` (docs/scale.md, "Costs").
    OneSign(String),
    /// What rows were filed as (`-1`) and what they are now (`+1`): summed by key first, so an
    /// update that changed none of the counted columns appends nothing.
    BothSigns(String),
}

/// The activities in `rows` (a transition table on PostgreSQL, `NEW`/`OLD` on SQLite) as deltas of
/// `sign`, filed under their transaction and its user as they are now.
fn activity_rows(backend: DbBackend, rows: &str, sign: i32) -> String {
    let mut sql = select_deltas(
        "t.issued_at",
        "t.user_id",
        "COALESCE(u.is_internal, FALSE)",
        if backend == DbBackend::Postgres { "r" } else { rows },
        sign,
    );
    match backend {
        // Each row's transaction and user by primary key, whatever the planner thinks of the
        // transition table's size: as a join it chose to hash the whole `transaction` table for a
        // 1,000-row insert (75 ms instead of 2). `LIMIT 1` keeps the lookups from being flattened
        // into a join.
        DbBackend::Postgres => sql.push_str(&format!(
            " FROM {rows} r \
             CROSS JOIN LATERAL (SELECT x.issued_at, x.user_id FROM \"transaction\" x WHERE x.id = r.transaction_id LIMIT 1) t \
             LEFT JOIN LATERAL (SELECT y.is_internal FROM users y WHERE y.id = t.user_id LIMIT 1) u ON TRUE"
        )),
        _ => sql.push_str(&format!(
            " FROM \"transaction\" t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = {rows}.transaction_id"
        )),
    }
    sql
}

/// The activities of the transaction row `row` as deltas of `sign`, with its user's current
/// `is_internal`; `rows` names the transition table `row` ranges over, if any.
fn transaction_activities(rows: Option<&str>, row: &str, sign: i32) -> String {
    let is_internal = format!("COALESCE((SELECT u.is_internal FROM users u WHERE u.id = {row}.user_id), FALSE)");
    let mut sql = select_deltas(&format!("{row}.issued_at"), &format!("{row}.user_id"), &is_internal, "a", sign);
    sql.push_str(" FROM ");
    if let Some(rows) = rows {
        sql.push_str(&format!("{rows} {row}, "));
    }
    sql.push_str(&format!("activity a WHERE a.transaction_id = {row}.id"));
    sql
}

/// The activities of the user row `row` as deltas of `sign`, filed under `is_internal`; `from`
/// names the transition tables `row` ranges over, if any, and `when` narrows them.
fn user_activities(from: Option<&str>, row: &str, sign: i32, is_internal: &str, when: &str) -> String {
    let mut sql = select_deltas("t.issued_at", "t.user_id", is_internal, "a", sign);
    sql.push_str(" FROM ");
    if let Some(from) = from {
        sql.push_str(&format!("{from}, "));
    }
    sql.push_str(&format!(
        "\"transaction\" t JOIN activity a ON a.transaction_id = t.id WHERE t.user_id = {row}.id{when}"
    ));
    sql
}

fn both(old: String, new: String) -> Deltas {
    Deltas::BothSigns(format!("{old} UNION ALL {new}"))
}

fn triggers(backend: DbBackend) -> Vec<Trigger> {
    let pg = backend == DbBackend::Postgres;
    // PostgreSQL reads transition tables (`old_rows`, `new_rows`) once per statement; SQLite
    // fires per row with `OLD`/`NEW`.
    let (old_rows, new_rows) = if pg { ("old_rows", "new_rows") } else { ("OLD", "NEW") };
    let transaction_update = if pg {
        both(transaction_activities(Some("old_rows"), "o", -1), transaction_activities(Some("new_rows"), "n", 1))
    } else {
        both(transaction_activities(None, "OLD", -1), transaction_activities(None, "NEW", 1))
    };
    let users_update = if pg {
        let from = Some("old_rows o JOIN new_rows n ON n.id = o.id");
        let when = " AND n.is_internal IS DISTINCT FROM o.is_internal";
        both(
            user_activities(from, "o", -1, "o.is_internal", when),
            user_activities(from, "n", 1, "n.is_internal", when),
        )
    } else {
        both(
            user_activities(None, "OLD", -1, "OLD.is_internal", ""),
            user_activities(None, "NEW", 1, "NEW.is_internal", ""),
        )
    };
    // A new row for an id that transactions already reference (possible only with foreign keys
    // off) turns those actions into system actions when the user is internal.
    let users_insert = if pg {
        let from = Some("new_rows n");
        both(
            user_activities(from, "n", -1, "FALSE", " AND n.is_internal"),
            user_activities(from, "n", 1, "TRUE", " AND n.is_internal"),
        )
    } else {
        both(user_activities(None, "NEW", -1, "FALSE", ""), user_activities(None, "NEW", 1, "TRUE", ""))
    };
    // Before the row goes: once it is gone its actions are user actions (the transactions'
    // `user_id` is set to NULL, or left dangling; either way no internal user).
    let users_delete = both(user_activities(None, "OLD", -1, "TRUE", ""), user_activities(None, "OLD", 1, "FALSE", ""));
    vec![
        Trigger {
            name: "audit_rollup_activity_insert",
            table: "activity",
            timing: "AFTER INSERT",
            sqlite_of: "",
            sqlite_when: "",
            deltas: Deltas::OneSign(activity_rows(backend, new_rows, 1)),
        },
        Trigger {
            name: "audit_rollup_activity_delete",
            table: "activity",
            timing: "AFTER DELETE",
            sqlite_of: "",
            sqlite_when: "",
            deltas: Deltas::OneSign(activity_rows(backend, old_rows, -1)),
        },
        Trigger {
            name: "audit_rollup_activity_update",
            table: "activity",
            timing: "AFTER UPDATE",
            sqlite_of: " OF verb, object_type, transaction_id",
            sqlite_when: "",
            deltas: both(activity_rows(backend, old_rows, -1), activity_rows(backend, new_rows, 1)),
        },
        Trigger {
            name: "audit_rollup_transaction_update",
            table: "\"transaction\"",
            timing: "AFTER UPDATE",
            sqlite_of: " OF issued_at, user_id",
            sqlite_when: "",
            deltas: transaction_update,
        },
        Trigger {
            name: "audit_rollup_users_update",
            table: "users",
            timing: "AFTER UPDATE",
            sqlite_of: " OF is_internal",
            sqlite_when: " WHEN OLD.is_internal IS NOT NEW.is_internal",
            deltas: users_update,
        },
        Trigger {
            name: "audit_rollup_users_insert",
            table: "users",
            timing: "AFTER INSERT",
            sqlite_of: "",
            sqlite_when: " WHEN NEW.is_internal",
            deltas: users_insert,
        },
        Trigger {
            name: "audit_rollup_users_delete",
            table: "users",
            timing: "BEFORE DELETE",
            sqlite_of: "",
            sqlite_when: " WHEN OLD.is_internal",
            deltas: users_delete,
        },
    ]
}

/// Statements that create the trigger functions (PostgreSQL) and the triggers.
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    for trigger in triggers(backend) {
        let body = append(&trigger.deltas);
        match backend {
            DbBackend::Postgres => {
                let (level, referencing, guard) = match trigger.timing {
                    // Transition tables exist only for AFTER triggers; a BEFORE DELETE runs per row.
                    "BEFORE DELETE" => ("ROW", String::new(), "IF NOT OLD.is_internal THEN RETURN OLD; END IF; "),
                    timing => {
                        let tables = match timing {
                            "AFTER INSERT" => "NEW TABLE AS new_rows",
                            "AFTER DELETE" => "OLD TABLE AS old_rows",
                            _ => "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                        };
                        ("STATEMENT", format!(" REFERENCING {tables}"), "")
                    }
                };
                let returned = if level == "ROW" { "OLD" } else { "NULL" };
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ \
                     BEGIN {guard}{lock}{body}; RETURN {returned}; END $body$",
                    name = trigger.name,
                    lock = lock_log(&trigger),
                ));
                statements.push(format!(
                    "CREATE TRIGGER {name} {timing} ON {table}{referencing} FOR EACH {level} EXECUTE FUNCTION {name}()",
                    name = trigger.name,
                    timing = trigger.timing,
                    table = trigger.table,
                ));
            }
            _ => statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {name} {timing}{of} ON {table} FOR EACH ROW{when} BEGIN {body}; END",
                name = trigger.name,
                timing = trigger.timing,
                of = trigger.sqlite_of,
                table = trigger.table,
                when = trigger.sqlite_when,
            )),
        }
    }
    if backend == DbBackend::Postgres {
        // A folding in flight finishes first and none starts until the truncation commits:
        // otherwise rollup rows it inserted after the tables were emptied would outlive the log.
        statements.push(format!(
            "CREATE OR REPLACE FUNCTION audit_rollup_activity_truncate() RETURNS trigger LANGUAGE plpgsql AS $body$ \
             BEGIN {lock}; {clear}; RETURN NULL; END $body$",
            lock = lock_rollups(),
            clear = clear().join("; ")
        ));
        statements.push(
            "CREATE TRIGGER audit_rollup_activity_truncate AFTER TRUNCATE ON activity \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_rollup_activity_truncate()"
                .into(),
        );
    }
    statements
}

/// PostgreSQL: what a `users` trigger runs before it re-files a user's actions. A writer's trigger
/// reads its user's `is_internal` when it appends; if an administrator flagged the user and re-filed
/// the user's *committed* actions in between, the writer's uncommitted rows would stay filed under
/// the old flag. So a flag change first waits for every transaction writing the log to commit (and
/// then re-files their rows too), and writers that start meanwhile wait for the flag change to
/// commit (and read the new flag). Flag changes are rare; writers take no lock beyond their own
/// inserts. `SHARE ROW EXCLUSIVE` also makes two flag changes take turns rather than deadlock; the
/// tables are locked in the order writers write them.
fn lock_log(trigger: &Trigger) -> String {
    let changed = match (trigger.table, trigger.timing) {
        ("users", "AFTER UPDATE") => {
            "EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id \
             WHERE n.is_internal IS DISTINCT FROM o.is_internal)"
        }
        ("users", "AFTER INSERT") => "EXISTS (SELECT 1 FROM new_rows WHERE is_internal)",
        // The row trigger's guard has already returned for users who are not internal.
        ("users", _) => "TRUE",
        _ => return String::new(),
    };
    format!("IF {changed} THEN LOCK TABLE \"transaction\", activity IN SHARE ROW EXCLUSIVE MODE; END IF; ")
}

/// Statements that drop the triggers (and PostgreSQL's trigger functions); the tables stay.
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    let mut names: Vec<(&str, &str)> = triggers(backend).iter().map(|t| (t.name, t.table)).collect();
    if backend == DbBackend::Postgres {
        names.push(("audit_rollup_activity_truncate", "activity"));
    }
    names
        .into_iter()
        .flat_map(|(name, table)| match backend {
            DbBackend::Postgres => {
                vec![format!("DROP TRIGGER IF EXISTS {name} ON {table}"), format!("DROP FUNCTION IF EXISTS {name}()")]
            }
            _ => vec![format!("DROP TRIGGER IF EXISTS {name}")],
        })
        .collect()
}

/// PostgreSQL: the statement that makes a folding in flight finish, and keeps others from starting,
/// until the transaction commits (readers go on).
fn lock_rollups() -> String {
    let rollups: Vec<&str> = TABLE_NAMES.iter().copied().chain([DELTA]).collect();
    format!("LOCK TABLE {} IN EXCLUSIVE MODE", rollups.join(", "))
}

/// Statements that empty the rollups and the deltas.
pub fn clear() -> Vec<String> {
    TABLE_NAMES.iter().chain(&[DELTA]).map(|name| format!("DELETE FROM {name}")).collect()
}

#[derive(FromQueryResult)]
struct Span {
    first: Option<i64>,
    last: Option<i64>,
}

/// Adds the whole log to the rollups, a calendar month of `issued_at` per statement, logging each
/// month ([`rebuild`] empties the tables first; the migration that created them runs its own frozen
/// copy of these statements).
pub async fn backfill(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let epoch = |column: &str| epoch_seconds(backend, column);
    let span = Span::find_by_statement(Statement::from_string(
        backend,
        format!(
            "SELECT {} AS first, {} AS last FROM \"transaction\"",
            epoch("MIN(issued_at)"),
            epoch("MAX(issued_at)")
        ),
    ))
    .one(db)
    .await?;
    let Some(Span { first: Some(first), last: Some(last) }) = span else { return Ok(()) };
    let months = month_starts(first, last)?;
    for (i, window) in months.windows(2).enumerate() {
        let from = format!("'{}'", window[0].format("%Y-%m-%d %H:%M:%S"));
        let to = format!("'{}'", window[1].format("%Y-%m-%d %H:%M:%S"));
        for statement in apply(backend, &activity_deltas(Some(&from), Some(&to))) {
            db.execute_unprepared(&statement).await?;
        }
        tracing::info!(month = %window[0].format("%Y-%m"), done = i + 1, of = months.len() - 1, "audit rollups backfilled");
    }
    Ok(())
}

/// The starts of the calendar months from the one holding `first` to the one after `last`
/// (seconds since the epoch, UTC).
pub fn month_starts(first: i64, last: i64) -> Result<Vec<chrono::NaiveDateTime>, DbErr> {
    use chrono::{Datelike, Months, NaiveDate};
    let date = |seconds: i64| {
        chrono::DateTime::from_timestamp(seconds, 0)
            .map(|at| at.date_naive())
            .ok_or_else(|| DbErr::Custom(format!("issued_at {seconds} s is out of range")))
    };
    let (first, last) = (date(first)?, date(last)?);
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1)
        .ok_or_else(|| DbErr::Custom("no first month".into()))?;
    let mut starts = vec![month];
    while month <= last {
        month = month.checked_add_months(Months::new(1)).ok_or_else(|| DbErr::Custom("month overflow".into()))?;
        starts.push(month);
    }
    Ok(starts.into_iter().map(|day| day.and_time(chrono::NaiveTime::MIN)).collect())
}

/// Rebuilds the rollups' indexes after a bulk load ([`rebuild`], the seed), on PostgreSQL. A load
/// fills the per-user tables out of key order (a month of every user at a time), and the pages it
/// splits stay half empty: on the 10M log their keys took 1.5 to 2 times the space they take
/// rebuilt. `CONCURRENTLY`: reads and foldings go on meanwhile. (SQLite keeps each table in its
/// key's own B-tree, which only `VACUUM` repacks.)
pub async fn repack(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for name in TABLE_NAMES {
        db.execute_unprepared(&format!("REINDEX TABLE CONCURRENTLY {name}")).await?;
    }
    Ok(())
}

/// Recomputes the rollups from the log in one transaction, for a log that was written with the
/// triggers bypassed. On PostgreSQL the log tables are locked against writes and the rollups
/// against folding meanwhile (reads go on), so nothing is missed or counted twice; after the
/// commit it rebuilds the rollups' indexes ([`repack`]).
pub async fn rebuild(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE activity, \"transaction\", users IN SHARE ROW EXCLUSIVE MODE").await?;
        // And a folding in flight finishes first, and none starts until this commits: otherwise
        // rows it upserted after the tables were emptied would be counted again by the backfill.
        txn.execute_unprepared(&lock_rollups()).await?;
    }
    for statement in clear() {
        txn.execute_unprepared(&statement).await?;
    }
    backfill(&txn).await?;
    txn.commit().await?;
    repack(db).await
}
