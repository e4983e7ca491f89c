//! The statements of this migration exactly as it shipped, never edited since. Down restores the
//! fourth migration's definitions of the two triggers, copied from it.
//!
//! PostgreSQL replaces the trigger functions only (the triggers that call them stay); SQLite
//! drops and re-creates its triggers, in the migration's one transaction.

pub(super) const POSTGRES_UP: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_rollup_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, r.verb AS verb, r.object_type AS object_type, 1 AS delta FROM new_rows r CROSS JOIN LATERAL (SELECT x.issued_at, x.user_id FROM \"transaction\" x WHERE x.id = r.transaction_id LIMIT 1) t LEFT JOIN LATERAL (SELECT y.is_internal FROM users y WHERE y.id = t.user_id LIMIT 1) u ON TRUE; RETURN NULL; END $body$",
    "CREATE OR REPLACE FUNCTION audit_rollup_activity_delete() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, r.verb AS verb, r.object_type AS object_type, -1 AS delta FROM old_rows r CROSS JOIN LATERAL (SELECT x.issued_at, x.user_id FROM \"transaction\" x WHERE x.id = r.transaction_id LIMIT 1) t LEFT JOIN LATERAL (SELECT y.is_internal FROM users y WHERE y.id = t.user_id LIMIT 1) u ON TRUE; RETURN NULL; END $body$",
];

pub(super) const POSTGRES_DOWN: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_rollup_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT issued_at, user_id, is_internal, verb, object_type, SUM(delta) FROM (SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, r.verb AS verb, r.object_type AS object_type, 1 AS delta FROM new_rows r CROSS JOIN LATERAL (SELECT x.issued_at, x.user_id FROM \"transaction\" x WHERE x.id = r.transaction_id LIMIT 1) t LEFT JOIN LATERAL (SELECT y.is_internal FROM users y WHERE y.id = t.user_id LIMIT 1) u ON TRUE) AS d GROUP BY issued_at, user_id, is_internal, verb, object_type HAVING SUM(delta) <> 0; RETURN NULL; END $body$",
    "CREATE OR REPLACE FUNCTION audit_rollup_activity_delete() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT issued_at, user_id, is_internal, verb, object_type, SUM(delta) FROM (SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, r.verb AS verb, r.object_type AS object_type, -1 AS delta FROM old_rows r CROSS JOIN LATERAL (SELECT x.issued_at, x.user_id FROM \"transaction\" x WHERE x.id = r.transaction_id LIMIT 1) t LEFT JOIN LATERAL (SELECT y.is_internal FROM users y WHERE y.id = t.user_id LIMIT 1) u ON TRUE) AS d GROUP BY issued_at, user_id, is_internal, verb, object_type HAVING SUM(delta) <> 0; RETURN NULL; END $body$",
];

pub(super) const SQLITE_UP: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_rollup_activity_insert",
    "DROP TRIGGER IF EXISTS audit_rollup_activity_delete",
    "CREATE TRIGGER IF NOT EXISTS audit_rollup_activity_insert AFTER INSERT ON activity FOR EACH ROW BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, NEW.verb AS verb, NEW.object_type AS object_type, 1 AS delta FROM \"transaction\" t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = NEW.transaction_id; END",
    "CREATE TRIGGER IF NOT EXISTS audit_rollup_activity_delete AFTER DELETE ON activity FOR EACH ROW BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, OLD.verb AS verb, OLD.object_type AS object_type, -1 AS delta FROM \"transaction\" t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = OLD.transaction_id; END",
];

pub(super) const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_rollup_activity_insert",
    "DROP TRIGGER IF EXISTS audit_rollup_activity_delete",
    "CREATE TRIGGER IF NOT EXISTS audit_rollup_activity_insert AFTER INSERT ON activity FOR EACH ROW BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT issued_at, user_id, is_internal, verb, object_type, SUM(delta) FROM (SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, NEW.verb AS verb, NEW.object_type AS object_type, 1 AS delta FROM \"transaction\" t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = NEW.transaction_id) AS d GROUP BY issued_at, user_id, is_internal, verb, object_type HAVING SUM(delta) <> 0; END",
    "CREATE TRIGGER IF NOT EXISTS audit_rollup_activity_delete AFTER DELETE ON activity FOR EACH ROW BEGIN INSERT INTO audit_rollup_delta (issued_at, user_id, is_internal, verb, object_type, delta) SELECT issued_at, user_id, is_internal, verb, object_type, SUM(delta) FROM (SELECT t.issued_at AS issued_at, t.user_id AS user_id, COALESCE(u.is_internal, FALSE) AS is_internal, OLD.verb AS verb, OLD.object_type AS object_type, -1 AS delta FROM \"transaction\" t LEFT JOIN users u ON u.id = t.user_id WHERE t.id = OLD.transaction_id) AS d GROUP BY issued_at, user_id, is_internal, verb, object_type HAVING SUM(delta) <> 0; END",
];
