//! What the rollups are: the grains, the dimensions, the six tables as data, their DDL, the shape
//! of a delta row, and the statements over every table at once.

use sea_orm::DbBackend;

/// Bucket widths of the fixed grains, in seconds; the month grain follows the calendar.
pub const QUARTER_HOUR: i64 = 900;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// The grains as stored in the `grain` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    QuarterHour = 0,
    Day = 1,
    Month = 2,
    /// [`Rollup::Actions`] and [`Rollup::ActionsByVerb`] only: the chart's moved hours between
    /// local and UTC midnight.
    Hour = 3,
}

impl Grain {
    /// The grain stored as `value`, if there is one.
    pub fn from_stored(value: i64) -> Option<Grain> {
        [Grain::QuarterHour, Grain::Day, Grain::Month, Grain::Hour].into_iter().find(|grain| *grain as i64 == value)
    }
}

/// What a rollup row is keyed by besides its bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// 1 for an action of an internal user (a "system" action), 0 otherwise.
    IsSystem,
    /// The acting user; rows without one are not kept in the per-user tables.
    UserId,
    Verb,
    ObjectType,
}

impl Dimension {
    /// Its column, in the rollup tables and in the deltas' bucketed rows.
    pub fn column(self) -> &'static str {
        match self {
            Dimension::IsSystem => "is_system",
            Dimension::UserId => "user_id",
            Dimension::Verb => "verb",
            Dimension::ObjectType => "object_type",
        }
    }

    /// Where the log keeps it, in rows of `activity a JOIN "transaction" t`; `None` for
    /// `is_system`, which is the user's flag at the time of counting.
    pub fn in_log(self) -> Option<&'static str> {
        match self {
            Dimension::IsSystem => None,
            Dimension::UserId => Some("t.user_id"),
            Dimension::Verb => Some("a.verb"),
            Dimension::ObjectType => Some("a.object_type"),
        }
    }

    fn definition(self) -> &'static str {
        match self {
            Dimension::IsSystem => "is_system SMALLINT NOT NULL",
            Dimension::UserId => "user_id BIGINT NOT NULL",
            Dimension::Verb => "verb VARCHAR(255) NOT NULL",
            Dimension::ObjectType => "object_type VARCHAR(255) NOT NULL",
        }
    }
}

/// `dimensions`' columns, comma-separated: a key, a `GROUP BY`, a select list.
pub fn columns(dimensions: &[Dimension]) -> String {
    dimensions.iter().map(|dimension| dimension.column()).collect::<Vec<_>>().join(", ")
}

/// The rollup tables, each named by what it counts: actions by bucket and its dimensions. The
/// order of [`Rollup::ALL`] is the order every folding writes them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollup {
    /// `audit_rollup_time`: actions by `is_system, verb`.
    ActionsByVerb,
    /// `audit_rollup_entity`: actions by `is_system, verb, object_type`.
    ActionsByVerbAndObjectType,
    /// `audit_rollup_user`: a user's actions by `verb`.
    UserActionsByVerb,
    /// `audit_rollup_actor`: a user's actions.
    UserActions,
    /// `audit_rollup_user_entity`: a user's actions by `verb, object_type` (packed).
    UserActionsByVerbAndObjectType,
    /// `audit_rollup_total`: actions by `is_system`.
    Actions,
}

/// One rollup table: its name, its dimensions after `(grain, bucket)`, and how it is kept.
pub(crate) struct Table {
    pub name: &'static str,
    pub dimensions: &'static [Dimension],
    /// The grains it keeps. Readers count what a table does not keep from the log itself.
    pub grains: &'static [Grain],
    /// Whether readers sum it over all users (a per-user table that is not is read only under a
    /// `users` filter, so it needs no index by bucket: see [`create_tables`]).
    pub read_for_all_users: bool,
    /// Whether it keeps one row per user and bucket, `(grain, bucket, user_id, counts)`, with the
    /// counts of that user's bucket packed into `counts`: a JSON array of one `[dimension…, n]`
    /// entry per value of the other dimensions (`[["update", "Tag", 3], …]`). Readers see it
    /// unpacked, as rows of every dimension ([`Rollup::source`]).
    pub packed: bool,
}

use Dimension::{IsSystem, ObjectType, UserId, Verb};
use Grain::{Day, Hour, Month, QuarterHour};

impl Rollup {
    pub const ALL: [Rollup; 6] = [
        Rollup::ActionsByVerb,
        Rollup::ActionsByVerbAndObjectType,
        Rollup::UserActionsByVerb,
        Rollup::UserActions,
        Rollup::UserActionsByVerbAndObjectType,
        Rollup::Actions,
    ];

    pub(crate) fn table(self) -> &'static Table {
        match self {
            Rollup::ActionsByVerb => &Table {
                name: "audit_rollup_time",
                dimensions: &[IsSystem, Verb],
                grains: &[QuarterHour, Day, Month, Hour],
                read_for_all_users: true,
                packed: false,
            },
            Rollup::ActionsByVerbAndObjectType => &Table {
                name: "audit_rollup_entity",
                dimensions: &[IsSystem, Verb, ObjectType],
                grains: &[QuarterHour, Day, Month],
                read_for_all_users: true,
                packed: false,
            },
            // Actions without a user add no actor and match no `users` filter. No quarter hours:
            // they were three rows in four, and what reads them (actors under an `actions` filter,
            // and a `users` filter with one) needs a window's ragged ends only, which the reader
            // counts from the log (the performance report has the sizes).
            Rollup::UserActionsByVerb => &Table {
                name: "audit_rollup_user",
                dimensions: &[UserId, Verb],
                grains: &[Day, Month],
                read_for_all_users: true,
                packed: false,
            },
            // The same without the verb, a fraction of its rows. It keeps its quarter hours: the
            // actors of every window in a zone or at an offset read them.
            Rollup::UserActions => &Table {
                name: "audit_rollup_actor",
                dimensions: &[UserId],
                grains: &[QuarterHour, Day, Month],
                read_for_all_users: true,
                packed: false,
            },
            // `top_entity_type` under a `users` filter. Days and months only: at 15 minutes it
            // would be as large as the log, and a window's ragged ends hold few of a few users'
            // rows, which the reader counts from the log itself. Packed: most users touch a few of
            // the verbs and object types on a day, and as rows of their own those were nearly one
            // per activity; a user's day is one row instead.
            Rollup::UserActionsByVerbAndObjectType => &Table {
                name: "audit_rollup_user_entity",
                dimensions: &[UserId, Verb, ObjectType],
                grains: &[Day, Month],
                read_for_all_users: false,
                packed: true,
            },
            // The time table without the verb: what a dashboard without an `actions` filter reads.
            // An hour is at most two rows, so a year of local days in a zone at a quarter-hour
            // offset reads an eighth of the rows.
            Rollup::Actions => &Table {
                name: "audit_rollup_total",
                dimensions: &[IsSystem],
                grains: &[QuarterHour, Day, Month, Hour],
                read_for_all_users: true,
                packed: false,
            },
        }
    }

    pub fn name(self) -> &'static str {
        self.table().name
    }

    /// Its dimensions, after `grain` and `bucket`.
    pub fn dimensions(self) -> &'static [Dimension] {
        self.table().dimensions
    }

    /// Whether its rows are a user's (keyed by `user_id` first).
    pub fn per_user(self) -> bool {
        self.table().per_user()
    }

    /// Whether it keeps buckets of `grain`; readers count the rest from the log.
    pub fn keeps(self, grain: Grain) -> bool {
        self.table().grains.contains(&grain)
    }
}

/// Every rollup table's name, in [`Rollup::ALL`] order.
pub fn table_names() -> [&'static str; 6] {
    Rollup::ALL.map(Rollup::name)
}

impl Table {
    pub fn per_user(&self) -> bool {
        self.dimensions.first() == Some(&UserId)
    }

    /// The condition on bucketed delta rows that selects the ones this table counts.
    pub fn only(&self) -> String {
        let grains: Vec<String> = self.grains.iter().map(|&grain| (grain as i64).to_string()).collect();
        let grains = format!("grain IN ({})", grains.join(", "));
        if self.per_user() { format!("user_id IS NOT NULL AND {grains}") } else { grains }
    }

    /// Its dimensions' columns, comma-separated.
    pub fn dimension_columns(&self) -> String {
        columns(self.dimensions)
    }

    /// A packed table's dimensions inside `counts`: all but `user_id`.
    pub fn packed_dimensions(&self) -> &'static [Dimension] {
        if self.per_user() { &self.dimensions[1..] } else { self.dimensions }
    }

    /// The columns of its key, in the order the backend keeps them (see [`create_tables`]).
    pub fn key(&self, backend: DbBackend) -> String {
        let stored = if self.packed { &self.dimensions[..1] } else { self.dimensions };
        if backend == DbBackend::Postgres && self.per_user() {
            let others: String = stored[1..].iter().map(|dimension| format!(", {}", dimension.column())).collect();
            format!("user_id, grain, bucket{others}")
        } else {
            format!("grain, bucket, {}", columns(stored))
        }
    }
}

/// The append-only table the triggers write (see the crate docs, "Who keeps them right").
pub const DELTA: &str = "audit_rollup_delta";
/// Its columns, in the order every delta query selects them.
pub(crate) const DELTA_COLUMNS: &str = "issued_at, user_id, is_internal, verb, object_type, delta";

/// The head of a delta query: the six delta columns, named.
pub(crate) fn select_deltas(issued_at: &str, user_id: &str, is_internal: &str, activity: &str, sign: i32) -> String {
    format!(
        "SELECT {issued_at} AS issued_at, {user_id} AS user_id, {is_internal} AS is_internal, \
         {activity}.verb AS verb, {activity}.object_type AS object_type, {sign} AS delta"
    )
}

/// Statements that empty the rollups and the deltas.
pub fn clear() -> Vec<String> {
    table_names().iter().chain(&[DELTA]).map(|name| format!("DELETE FROM {name}")).collect()
}

/// PostgreSQL: the statement that makes a folding in flight finish, and keeps others from starting,
/// until the transaction commits (readers go on).
pub(crate) fn lock_rollups() -> String {
    let rollups: Vec<&str> = table_names().into_iter().chain([DELTA]).collect();
    format!("LOCK TABLE {} IN EXCLUSIVE MODE", rollups.join(", "))
}

/// How a packed table's `counts` are written and read, by backend: PostgreSQL keeps them as
/// `jsonb`, SQLite as JSON text; the entries are the same arrays.
pub(crate) mod packing {
    use super::{DbBackend, Table, columns};

    /// The column's type.
    pub fn column_type(backend: DbBackend) -> &'static str {
        match backend {
            DbBackend::Postgres => "JSONB",
            _ => "TEXT",
        }
    }

    /// An aggregate: the JSON array of one `[dimension…, n]` entry per row of the group, `[]` for
    /// none.
    pub fn pack(backend: DbBackend, table: &Table) -> String {
        let fields = format!("{}, n", columns(table.packed_dimensions()));
        match backend {
            DbBackend::Postgres => format!("COALESCE(jsonb_agg(jsonb_build_array({fields})), '[]')"),
            _ => format!("COALESCE(json_group_array(json_array({fields})), '[]')"),
        }
    }

    /// `SELECT` list and `FROM` item: the entries of the JSON array `counts` as rows of the packed
    /// dimensions and `n` (`FROM` may name other items before it: the function reads their columns).
    pub fn entries(backend: DbBackend, table: &Table, counts: &str) -> (String, String) {
        let mut fields: Vec<String> = table
            .packed_dimensions()
            .iter()
            .enumerate()
            .map(|(i, dimension)| format!("c.value ->> {i} AS {}", dimension.column()))
            .collect();
        fields.push(format!("CAST(c.value ->> {} AS BIGINT) AS n", fields.len()));
        let from = match backend {
            DbBackend::Postgres => format!("jsonb_array_elements({counts}) AS c(value)"),
            _ => format!("json_each({counts}) AS c"),
        };
        (fields.join(", "), from)
    }
}

/// `CREATE TABLE` statements for the rollups, their indexes and the deltas.
///
/// Every table's key is `(grain, bucket, dimensions…)`, one row per key (a packed table's is
/// `(grain, bucket, user_id)`, its other dimensions inside `counts`). How it is ordered
/// depends on the backend, because readers scan two ways: a window's buckets for all users (totals,
/// actors, facets), and a few users' buckets (a `users` filter).
/// - SQLite clusters a table on its key (`WITHOUT ROWID`), so the key leads with the bucket and the
///   per-user tables have an index by `user_id` for the second way.
/// - PostgreSQL keeps rows in a heap apart from every index, so the per-user tables' key leads
///   with `user_id` (the second way) and an index on `(grain, bucket)` serves the first; its
///   entries repeat (many users and verbs share a quarter hour), which B-tree deduplication stores
///   once (the performance report has the sizes).
pub fn create_tables(backend: DbBackend) -> Vec<String> {
    let postgres = backend == DbBackend::Postgres;
    let suffix = if postgres { "" } else { " WITHOUT ROWID" };
    let mut statements: Vec<String> = Rollup::ALL
        .iter()
        .map(|rollup| {
            let table = rollup.table();
            let columns = if table.packed {
                format!("{}, counts {} NOT NULL", UserId.definition(), packing::column_type(backend))
            } else {
                let columns: Vec<&str> = table.dimensions.iter().map(|dimension| dimension.definition()).collect();
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
    for table in Rollup::ALL.iter().map(|rollup| rollup.table()).filter(|table| table.per_user()) {
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
