//! The statements of this migration exactly as it shipped, never edited since.
//!
//! The new table is created under the final name (a renamed table's definition would name it in
//! quotes on SQLite), the old one renamed aside first, with its key constraint on PostgreSQL.

pub(super) const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE audit_rollup_user_entity RENAME TO audit_rollup_user_entity_unpacked",
    "ALTER TABLE audit_rollup_user_entity_unpacked \
     RENAME CONSTRAINT audit_rollup_user_entity_pkey TO audit_rollup_user_entity_unpacked_pkey",
    "CREATE TABLE IF NOT EXISTS audit_rollup_user_entity (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, \
     user_id BIGINT NOT NULL, counts JSONB NOT NULL, PRIMARY KEY (user_id, grain, bucket))",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, counts) \
     SELECT grain, bucket, user_id, COALESCE(jsonb_agg(jsonb_build_array(verb, object_type, n)), '[]') \
     FROM audit_rollup_user_entity_unpacked WHERE n <> 0 \
     GROUP BY user_id, grain, bucket ORDER BY user_id, grain, bucket",
    "DROP TABLE audit_rollup_user_entity_unpacked",
];

pub(super) const SQLITE_UP: &[&str] = &[
    "ALTER TABLE audit_rollup_user_entity RENAME TO audit_rollup_user_entity_unpacked",
    "DROP INDEX ix_audit_rollup_user_entity_user_id",
    "CREATE TABLE IF NOT EXISTS audit_rollup_user_entity (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, \
     user_id BIGINT NOT NULL, counts TEXT NOT NULL, PRIMARY KEY (grain, bucket, user_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_user_entity_user_id ON audit_rollup_user_entity (user_id, grain, bucket)",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, counts) \
     SELECT grain, bucket, user_id, COALESCE(json_group_array(json_array(verb, object_type, n)), '[]') \
     FROM audit_rollup_user_entity_unpacked WHERE n <> 0 \
     GROUP BY grain, bucket, user_id ORDER BY grain, bucket, user_id",
    "DROP TABLE audit_rollup_user_entity_unpacked",
];

pub(super) const POSTGRES_DOWN: &[&str] = &[
    "ALTER TABLE audit_rollup_user_entity RENAME TO audit_rollup_user_entity_packed",
    "ALTER TABLE audit_rollup_user_entity_packed \
     RENAME CONSTRAINT audit_rollup_user_entity_pkey TO audit_rollup_user_entity_packed_pkey",
    "CREATE TABLE audit_rollup_user_entity (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, \
     user_id BIGINT NOT NULL, verb VARCHAR(255) NOT NULL, object_type VARCHAR(255) NOT NULL, n BIGINT NOT NULL, \
     PRIMARY KEY (user_id, grain, bucket, verb, object_type))",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, verb, object_type, n) \
     SELECT p.grain, p.bucket, p.user_id, c.value ->> 0, c.value ->> 1, CAST(c.value ->> 2 AS BIGINT) \
     FROM audit_rollup_user_entity_packed AS p CROSS JOIN jsonb_array_elements(p.counts) AS c(value) \
     ORDER BY 3, 1, 2, 4, 5",
    "DROP TABLE audit_rollup_user_entity_packed",
];

pub(super) const SQLITE_DOWN: &[&str] = &[
    "ALTER TABLE audit_rollup_user_entity RENAME TO audit_rollup_user_entity_packed",
    "DROP INDEX ix_audit_rollup_user_entity_user_id",
    "CREATE TABLE IF NOT EXISTS audit_rollup_user_entity (grain SMALLINT NOT NULL, bucket BIGINT NOT NULL, \
     user_id BIGINT NOT NULL, verb VARCHAR(255) NOT NULL, object_type VARCHAR(255) NOT NULL, n BIGINT NOT NULL, \
     PRIMARY KEY (grain, bucket, user_id, verb, object_type)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_user_entity_user_id ON audit_rollup_user_entity (user_id, grain, bucket)",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, verb, object_type, n) \
     SELECT p.grain, p.bucket, p.user_id, c.value ->> 0, c.value ->> 1, CAST(c.value ->> 2 AS BIGINT) \
     FROM audit_rollup_user_entity_packed AS p CROSS JOIN json_each(p.counts) AS c ORDER BY 1, 2, 3, 4, 5",
    "DROP TABLE audit_rollup_user_entity_packed",
];
