//! The statements of the tenth migration, frozen as they shipped.

/// Waits for the writers in flight (they hold `ROW EXCLUSIVE`) and keeps new ones out until the
/// trigger exists, so the backfill's range holds every activity written before it.
pub const POSTGRES_UP: &[&str] = &[
    "LOCK TABLE activity IN SHARE ROW EXCLUSIVE MODE",
    "CREATE TABLE activity_feed (
        xid BIGINT NOT NULL,
        first_id BIGINT NOT NULL,
        last_id BIGINT NOT NULL,
        PRIMARY KEY (xid, first_id)
    )",
    "INSERT INTO activity_feed (xid, first_id, last_id)
        SELECT 0, MIN(id), MAX(id) FROM activity HAVING COUNT(*) > 0",
    // Until when some gateway listens: the trigger notifies only then, since PostgreSQL queues a
    // notification under one lock for the whole cluster at commit, which concurrent writers take
    // in turn.
    "CREATE TABLE activity_feed_listened (
        one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        until TIMESTAMPTZ NOT NULL
    )",
    "CREATE FUNCTION audit_gateway_activity_feed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO activity_feed (xid, first_id, last_id)
            SELECT pg_current_xact_id()::text::bigint, MIN(id), MAX(id)
            FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run FROM inserted) AS numbered
            GROUP BY run;
        IF EXISTS (SELECT 1 FROM activity_feed_listened WHERE until > now()) THEN
            PERFORM pg_notify('audit_gateway_activity', '');
        END IF;
        RETURN NULL;
    END
    $$",
    "CREATE TRIGGER audit_gateway_activity_feed AFTER INSERT ON activity
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION audit_gateway_activity_feed()",
];

pub const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS audit_gateway_activity_feed ON activity",
    "DROP FUNCTION IF EXISTS audit_gateway_activity_feed()",
    "DROP TABLE IF EXISTS activity_feed_listened",
    "DROP TABLE IF EXISTS activity_feed",
];
