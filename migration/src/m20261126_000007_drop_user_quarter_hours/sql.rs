//! The statements of this migration exactly as it shipped, never edited since.

/// The kept rows are copied out and written back in key order into the emptied table, so that
/// the table and its indexes hold them densely. (Deleting the others and rewriting the table in
/// the same transaction would keep them: to `CLUSTER` they are not dead until it commits.)
pub(super) const POSTGRES_UP: &[&str] = &[
    "CREATE TEMPORARY TABLE audit_rollup_user_kept AS \
     SELECT grain, bucket, user_id, verb, n FROM audit_rollup_user WHERE grain IN (1, 2)",
    "TRUNCATE audit_rollup_user",
    "INSERT INTO audit_rollup_user (grain, bucket, user_id, verb, n) \
     SELECT grain, bucket, user_id, verb, n FROM audit_rollup_user_kept ORDER BY user_id, grain, bucket, verb",
    "DROP TABLE audit_rollup_user_kept",
];

pub(super) const SQLITE_UP: &[&str] = &["DELETE FROM audit_rollup_user WHERE grain = 0"];

/// The table's rows are the log's counts minus the pending deltas' (the folding adds those).
pub(super) const POSTGRES_DOWN: &[&str] = &["INSERT INTO audit_rollup_user (grain, bucket, user_id, verb, n) \
     SELECT 0, x.bucket, x.user_id, x.verb, SUM(x.n) FROM (\
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM t.issued_at)) AS BIGINT)) % 900) + 900) % 900 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT) - \
     (((CAST(FLOOR(EXTRACT(EPOCH FROM d.issued_at)) AS BIGINT)) % 900) + 900) % 900, \
     d.user_id, d.verb, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb HAVING SUM(x.n) <> 0"];

pub(super) const SQLITE_DOWN: &[&str] = &["INSERT INTO audit_rollup_user (grain, bucket, user_id, verb, n) \
     SELECT 0, x.bucket, x.user_id, x.verb, SUM(x.n) FROM (\
     SELECT CAST(strftime('%s', t.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', t.issued_at) AS INTEGER)) % 900) + 900) % 900 AS bucket, \
     t.user_id AS user_id, a.verb AS verb, 1 AS n \
     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id WHERE t.user_id IS NOT NULL \
     UNION ALL \
     SELECT CAST(strftime('%s', d.issued_at) AS INTEGER) - \
     (((CAST(strftime('%s', d.issued_at) AS INTEGER)) % 900) + 900) % 900, \
     d.user_id, d.verb, -d.delta FROM audit_rollup_delta d WHERE d.user_id IS NOT NULL\
     ) AS x GROUP BY x.bucket, x.user_id, x.verb HAVING SUM(x.n) <> 0"];
