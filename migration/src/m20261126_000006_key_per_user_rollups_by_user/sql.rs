//! The statements of this migration exactly as it shipped, written once from the rollup definitions
//! (the `audit_rollup` crate) as it stood then and never edited since. PostgreSQL only: SQLite
//! keeps its keys and indexes.

pub(super) const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE audit_rollup_user DROP CONSTRAINT audit_rollup_user_pkey",
    "ALTER TABLE audit_rollup_user ADD PRIMARY KEY (user_id, grain, bucket, verb)",
    "DROP INDEX IF EXISTS ix_audit_rollup_user_user_id",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_user_bucket ON audit_rollup_user (grain, bucket)",
    "ALTER TABLE audit_rollup_actor DROP CONSTRAINT audit_rollup_actor_pkey",
    "ALTER TABLE audit_rollup_actor ADD PRIMARY KEY (user_id, grain, bucket)",
    "DROP INDEX IF EXISTS ix_audit_rollup_actor_user_id",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_actor_bucket ON audit_rollup_actor (grain, bucket)",
    "ALTER TABLE audit_rollup_user_entity DROP CONSTRAINT audit_rollup_user_entity_pkey",
    "ALTER TABLE audit_rollup_user_entity ADD PRIMARY KEY (user_id, grain, bucket, verb, object_type)",
    "DROP INDEX IF EXISTS ix_audit_rollup_user_entity_user_id",
];

pub(super) const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS ix_audit_rollup_user_bucket",
    "ALTER TABLE audit_rollup_user DROP CONSTRAINT audit_rollup_user_pkey",
    "ALTER TABLE audit_rollup_user ADD PRIMARY KEY (grain, bucket, user_id, verb)",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_user_user_id ON audit_rollup_user (user_id, grain, bucket)",
    "DROP INDEX IF EXISTS ix_audit_rollup_actor_bucket",
    "ALTER TABLE audit_rollup_actor DROP CONSTRAINT audit_rollup_actor_pkey",
    "ALTER TABLE audit_rollup_actor ADD PRIMARY KEY (grain, bucket, user_id)",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_actor_user_id ON audit_rollup_actor (user_id, grain, bucket)",
    "ALTER TABLE audit_rollup_user_entity DROP CONSTRAINT audit_rollup_user_entity_pkey",
    "ALTER TABLE audit_rollup_user_entity ADD PRIMARY KEY (grain, bucket, user_id, verb, object_type)",
    "CREATE INDEX IF NOT EXISTS ix_audit_rollup_user_entity_user_id ON audit_rollup_user_entity (user_id, grain, bucket)",
];
