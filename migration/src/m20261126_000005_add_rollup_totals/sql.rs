//! The statements of this migration exactly as it shipped, written once from the rollup definitions
//! (the `audit_rollup` crate) as it stood then and never edited since: the live module may change,
//! this migration may not. `*_UP` creates `audit_rollup_total` and fills it from
//! `audit_rollup_time`; PostgreSQL's also replaces the `TRUNCATE` trigger's function, which names
//! every rollup table. `*_DOWN` undoes it.

pub(super) const SQLITE_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS audit_rollup_total (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, is_system SMALLINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (grain, bucket, is_system)) WITHOUT ROWID",
    "INSERT INTO audit_rollup_total (grain, bucket, is_system, n) SELECT grain, bucket, is_system, SUM(n) FROM audit_rollup_time GROUP BY grain, bucket, is_system HAVING SUM(n) <> 0",
];

pub(super) const SQLITE_DOWN: &[&str] = &["DROP TABLE IF EXISTS audit_rollup_total"];

pub(super) const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS audit_rollup_total (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, is_system SMALLINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (grain, bucket, is_system))",
    // A folding in flight finishes first, and none starts until the copy commits (readers and
    // writers go on).
    "LOCK TABLE audit_rollup_time IN SHARE MODE",
    "INSERT INTO audit_rollup_total (grain, bucket, is_system, n) SELECT grain, bucket, is_system, SUM(n) FROM audit_rollup_time GROUP BY grain, bucket, is_system HAVING SUM(n) <> 0",
    "ANALYZE audit_rollup_total",
    "CREATE OR REPLACE FUNCTION audit_rollup_activity_truncate() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN LOCK TABLE audit_rollup_time, audit_rollup_entity, audit_rollup_user, audit_rollup_actor, audit_rollup_user_entity, audit_rollup_total, audit_rollup_delta IN EXCLUSIVE MODE; DELETE FROM audit_rollup_time; DELETE FROM audit_rollup_entity; DELETE FROM audit_rollup_user; DELETE FROM audit_rollup_actor; DELETE FROM audit_rollup_user_entity; DELETE FROM audit_rollup_total; DELETE FROM audit_rollup_delta; RETURN NULL; END $body$",
];

/// After this, the fourth migration's `TRUNCATE` function is put back (the way down takes it from
/// that migration's own frozen statements).
pub(super) const POSTGRES_DOWN: &[&str] = &["DROP TABLE IF EXISTS audit_rollup_total"];
