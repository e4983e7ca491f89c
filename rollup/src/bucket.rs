//! Buckets: the SQL that turns a UTC timestamp into the start of its bucket at a grain, shared by
//! the folding, the readers and the log's own rows read in place of a grain a table lacks, so all
//! of them put a row in the same bucket.

use sea_orm::DbBackend;

use crate::catalogue::{DAY, DELTA_COLUMNS, Grain, HOUR, QUARTER_HOUR};

/// Whole seconds since the Unix epoch of a `TIMESTAMP` column holding UTC, rounded down (a SQL
/// expression).
pub fn epoch_seconds(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        // SQLite keeps timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]` text; `%s` truncates.
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER)"),
    }
}

/// Seconds since the epoch of the start of `column`'s bucket of `grain` (a SQL expression);
/// floors correctly before 1970 too.
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

/// The delta rows of `deltas` (a query of [`DELTA_COLUMNS`]) summed by quarter hour and key, then
/// one row per grain with its bucket: `grain, bucket, user_id, is_system, verb, object_type,
/// delta`. Summing first is what makes a folding cheap: the deltas of a second of writes mostly
/// share a few quarter hours, users and verbs, and a delta is bucketed once, not once per grain.
pub(crate) fn bucketed(backend: DbBackend, deltas: &str) -> String {
    debug_assert!(!deltas.is_empty(), "a query of {DELTA_COLUMNS}");
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
