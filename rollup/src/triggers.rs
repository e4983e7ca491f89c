//! The triggers that keep the rollups exact: each turns a change of the log into deltas inside the
//! writer's own transaction and appends them to [`DELTA`] (the crate docs list the events).

use sea_orm::DbBackend;

use crate::catalogue::{DELTA, DELTA_COLUMNS, clear, lock_rollups, select_deltas};

/// The log's tables a trigger watches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LogTable {
    Activity,
    Transaction,
    Users,
}

impl LogTable {
    fn sql(self) -> &'static str {
        match self {
            LogTable::Activity => "activity",
            LogTable::Transaction => "\"transaction\"",
            LogTable::Users => "users",
        }
    }
}

/// When a trigger fires.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timing {
    AfterInsert,
    AfterUpdate,
    AfterDelete,
    /// Per row, before the row goes (transition tables exist only for `AFTER` triggers).
    BeforeDelete,
}

impl Timing {
    fn sql(self) -> &'static str {
        match self {
            Timing::AfterInsert => "AFTER INSERT",
            Timing::AfterUpdate => "AFTER UPDATE",
            Timing::AfterDelete => "AFTER DELETE",
            Timing::BeforeDelete => "BEFORE DELETE",
        }
    }

    /// PostgreSQL: the transition tables a statement-level trigger of this timing reads.
    fn transition_tables(self) -> Option<&'static str> {
        match self {
            Timing::AfterInsert => Some("NEW TABLE AS new_rows"),
            Timing::AfterDelete => Some("OLD TABLE AS old_rows"),
            Timing::AfterUpdate => Some("OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            Timing::BeforeDelete => None,
        }
    }
}

/// A trigger: the event it fires on and the deltas it appends.
struct Trigger {
    name: &'static str,
    table: LogTable,
    timing: Timing,
    /// SQLite only: the columns of an `UPDATE OF` and a `WHEN` condition.
    sqlite_of: &'static str,
    sqlite_when: &'static str,
    deltas: Deltas,
}

/// A trigger's deltas (a query of the six delta columns), by whether they can cancel out.
enum Deltas {
    /// All `+1` (an insert) or all `-1` (a delete): appended as they are, one row per activity.
    /// Summing them by key first would save rows only where one statement writes several
    /// activities of one moment, user, verb and object type, and the folding sums them anyway,
    /// while the aggregation was a large part of what the trigger cost a writer (the performance
    /// report has the measurement).
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
        // large insert. `LIMIT 1` keeps the lookups from being flattened into a join.
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
            table: LogTable::Activity,
            timing: Timing::AfterInsert,
            sqlite_of: "",
            sqlite_when: "",
            deltas: Deltas::OneSign(activity_rows(backend, new_rows, 1)),
        },
        Trigger {
            name: "audit_rollup_activity_delete",
            table: LogTable::Activity,
            timing: Timing::AfterDelete,
            sqlite_of: "",
            sqlite_when: "",
            deltas: Deltas::OneSign(activity_rows(backend, old_rows, -1)),
        },
        Trigger {
            name: "audit_rollup_activity_update",
            table: LogTable::Activity,
            timing: Timing::AfterUpdate,
            sqlite_of: " OF verb, object_type, transaction_id",
            sqlite_when: "",
            deltas: both(activity_rows(backend, old_rows, -1), activity_rows(backend, new_rows, 1)),
        },
        Trigger {
            name: "audit_rollup_transaction_update",
            table: LogTable::Transaction,
            timing: Timing::AfterUpdate,
            sqlite_of: " OF issued_at, user_id",
            sqlite_when: "",
            deltas: transaction_update,
        },
        Trigger {
            name: "audit_rollup_users_update",
            table: LogTable::Users,
            timing: Timing::AfterUpdate,
            sqlite_of: " OF is_internal",
            sqlite_when: " WHEN OLD.is_internal IS NOT NEW.is_internal",
            deltas: users_update,
        },
        Trigger {
            name: "audit_rollup_users_insert",
            table: LogTable::Users,
            timing: Timing::AfterInsert,
            sqlite_of: "",
            sqlite_when: " WHEN NEW.is_internal",
            deltas: users_insert,
        },
        Trigger {
            name: "audit_rollup_users_delete",
            table: LogTable::Users,
            timing: Timing::BeforeDelete,
            sqlite_of: "",
            sqlite_when: " WHEN OLD.is_internal",
            deltas: users_delete,
        },
    ]
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

/// The PostgreSQL trigger on `TRUNCATE activity`, which has no rows to turn into deltas.
const TRUNCATE_TRIGGER: &str = "audit_rollup_activity_truncate";

/// Statements that create the trigger functions (PostgreSQL) and the triggers.
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    for trigger in triggers(backend) {
        let body = append(&trigger.deltas);
        let (name, timing, table) = (trigger.name, trigger.timing.sql(), trigger.table.sql());
        match backend {
            DbBackend::Postgres => {
                let (level, referencing, guard, returned) = match trigger.timing.transition_tables() {
                    Some(tables) => ("STATEMENT", format!(" REFERENCING {tables}"), "", "NULL"),
                    // The one row-level trigger, on `users` before a delete: only an internal
                    // user's actions move.
                    None => ("ROW", String::new(), "IF NOT OLD.is_internal THEN RETURN OLD; END IF; ", "OLD"),
                };
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ \
                     BEGIN {guard}{lock}{body}; RETURN {returned}; END $body$",
                    lock = lock_log(&trigger),
                ));
                statements.push(format!(
                    "CREATE TRIGGER {name} {timing} ON {table}{referencing} FOR EACH {level} EXECUTE FUNCTION {name}()"
                ));
            }
            _ => statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {name} {timing}{of} ON {table} FOR EACH ROW{when} BEGIN {body}; END",
                of = trigger.sqlite_of,
                when = trigger.sqlite_when,
            )),
        }
    }
    if backend == DbBackend::Postgres {
        // A folding in flight finishes first and none starts until the truncation commits:
        // otherwise rollup rows it inserted after the tables were emptied would outlive the log.
        statements.push(format!(
            "CREATE OR REPLACE FUNCTION {TRUNCATE_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $body$ \
             BEGIN {lock}; {clear}; RETURN NULL; END $body$",
            lock = lock_rollups(),
            clear = clear().join("; ")
        ));
        statements.push(format!(
            "CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON activity \
             FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_TRIGGER}()"
        ));
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
        (LogTable::Users, Timing::AfterUpdate) => {
            "EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id \
             WHERE n.is_internal IS DISTINCT FROM o.is_internal)"
        }
        (LogTable::Users, Timing::AfterInsert) => "EXISTS (SELECT 1 FROM new_rows WHERE is_internal)",
        // The row trigger's guard has already returned for users who are not internal.
        (LogTable::Users, _) => "TRUE",
        _ => return String::new(),
    };
    format!("IF {changed} THEN LOCK TABLE \"transaction\", activity IN SHARE ROW EXCLUSIVE MODE; END IF; ")
}

/// Statements that drop the triggers (and PostgreSQL's trigger functions); the tables stay.
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    let mut names: Vec<(&str, &str)> = triggers(backend).iter().map(|t| (t.name, t.table.sql())).collect();
    if backend == DbBackend::Postgres {
        names.push((TRUNCATE_TRIGGER, LogTable::Activity.sql()));
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
