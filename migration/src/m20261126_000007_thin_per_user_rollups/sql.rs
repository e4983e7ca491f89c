//! The statements of this migration exactly as it shipped, never edited since.

pub(super) const POSTGRES_UP: &[&str] = &[
    "DELETE FROM audit_rollup_user WHERE grain = 0",
    "DELETE FROM audit_rollup_user_entity WHERE grain = 1",
    "CLUSTER audit_rollup_user USING audit_rollup_user_pkey",
    "ALTER TABLE audit_rollup_user SET WITHOUT CLUSTER",
    "CLUSTER audit_rollup_user_entity USING audit_rollup_user_entity_pkey",
    "ALTER TABLE audit_rollup_user_entity SET WITHOUT CLUSTER",
];

pub(super) const SQLITE_UP: &[&str] =
    &["DELETE FROM audit_rollup_user WHERE grain = 0", "DELETE FROM audit_rollup_user_entity WHERE grain = 1"];

/// Each table's rows are the log's counts minus the pending deltas' (the folding adds those).
pub(super) const POSTGRES_DOWN: &[&str] = &[
    "INSERT INTO audit_rollup_user (grain, bucket, user_id, verb, n) \
     SELECT 0, x.bucket, x.user_id, x.verb, SUM(x.n) FROM (\
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT)) % 900) + 900) % 900 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT)) % 900) + 900) % 900, \
     d.user_id, d.verb, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb HAVING SUM(x.n) <> 0",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, verb, object_type, n) \
     SELECT 1, x.bucket, x.user_id, x.verb, x.object_type, SUM(x.n) FROM (\
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT)) % 86400) + 86400) % 86400 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, a.object_type AS object_type, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT)) % 86400) + 86400) % 86400, \
     d.user_id, d.verb, d.object_type, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb, x.object_type HAVING SUM(x.n) <> 0",
];

pub(super) const SQLITE_DOWN: &[&str] = &[
    "INSERT INTO audit_rollup_user (grain, bucket, user_id, verb, n) \
     SELECT 0, x.bucket, x.user_id, x.verb, SUM(x.n) FROM (\
     SELECT CAST(strftime('%s', t.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', t.issued_at) AS INTEGER)) % 900) + 900) % 900 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(strftime('%s', d.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', d.issued_at) AS INTEGER)) % 900) + 900) % 900, \
     d.user_id, d.verb, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb HAVING SUM(x.n) <> 0",
    "INSERT INTO audit_rollup_user_entity (grain, bucket, user_id, verb, object_type, n) \
     SELECT 1, x.bucket, x.user_id, x.verb, x.object_type, SUM(x.n) FROM (\
     SELECT CAST(strftime('%s', t.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', t.issued_at) AS INTEGER)) % 86400) + 86400) % 86400 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, a.object_type AS object_type, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(strftime('%s', d.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', d.issued_at) AS INTEGER)) % 86400) + 86400) % 86400, \
     d.user_id, d.verb, d.object_type, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb, x.object_type HAVING SUM(x.n) <> 0",
];
