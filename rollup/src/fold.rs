//! Folding: deltas added into the six tables, by the backfill ([`apply`]) and by the compaction
//! that runs while the gateway serves ([`compact`]).

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, FromQueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use crate::bucket::bucketed;
use crate::catalogue::{DELTA, DELTA_COLUMNS, Rollup, Table, columns, packing};

/// Adds the bucketed rows of `source` (a table name or a parenthesised query) into `table`.
/// Rows are written in one order per table, so concurrent writers lock rollup rows in the same
/// order: by bucket where readers scan a window for all users, which keeps a bulk load's rows of
/// a bucket together in PostgreSQL's heap (the performance report has what writing them by user
/// cost the readers), and by key otherwise.
fn upsert(backend: DbBackend, table: &Table, source: &str) -> String {
    let (name, dimensions, key) = (table.name, table.dimension_columns(), table.key(backend));
    let order = if table.read_for_all_users { format!("grain, bucket, {dimensions}") } else { key.clone() };
    let counted = format!(
        "SELECT grain, bucket, {dimensions}, SUM(delta) AS n FROM {source} AS b WHERE {only} \
         GROUP BY grain, bucket, {dimensions} HAVING SUM(delta) <> 0",
        only = table.only(),
    );
    if !table.packed {
        return format!(
            "INSERT INTO {name} (grain, bucket, {dimensions}, n) SELECT grain, bucket, {dimensions}, n \
             FROM ({counted}) AS k ORDER BY {order} ON CONFLICT ({key}) DO UPDATE SET n = {name}.n + excluded.n"
        );
    }
    // A bucket already kept gets its entries and the new ones summed by key, in one expression
    // over the row as locked, like `n = n + excluded.n`: concurrent foldings add up.
    let pack = packing::pack(backend, table);
    let packed = columns(table.packed_dimensions());
    let (fields, kept) = packing::entries(backend, table, &format!("{name}.counts"));
    let (_, added) = packing::entries(backend, table, "excluded.counts");
    format!(
        "INSERT INTO {name} (grain, bucket, user_id, counts) SELECT grain, bucket, user_id, {pack} \
         FROM ({counted}) AS k GROUP BY grain, bucket, user_id ORDER BY {order} \
         ON CONFLICT ({key}) DO UPDATE SET counts = (SELECT {pack} FROM (\
         SELECT {packed}, SUM(n) AS n FROM (SELECT {fields} FROM {kept} UNION ALL SELECT {fields} FROM {added}) AS e \
         GROUP BY {packed} HAVING SUM(n) <> 0) AS m)"
    )
}

/// Statements that add the delta rows of `deltas` (a query with columns `issued_at, user_id,
/// is_internal, verb, object_type, delta`) straight into every rollup table: the backfill's way.
/// On PostgreSQL it is one statement that computes the deltas once; on SQLite they must run on one
/// connection (a transaction), whose temporary table holds the bucketed deltas.
pub fn apply(backend: DbBackend, deltas: &str) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![postgres_apply("", deltas, "SELECT COUNT(*) FROM b")],
        _ => sqlite_apply(deltas),
    }
}

/// One PostgreSQL statement: `prelude` (CTEs ending in `, `, which `deltas` may read), the deltas
/// bucketed once, one upsert per table, then `tail` (the statement's own result).
fn postgres_apply(prelude: &str, deltas: &str, tail: &str) -> String {
    let upserts: Vec<String> = Rollup::ALL
        .iter()
        .map(|rollup| format!("{}_rows AS ({})", rollup.name(), upsert(DbBackend::Postgres, rollup.table(), "b")))
        .collect();
    format!(
        "WITH {prelude}b AS MATERIALIZED ({bucketed}), {upserts} {tail}",
        bucketed = bucketed(DbBackend::Postgres, deltas),
        upserts = upserts.join(", "),
    )
}

/// SQLite: `deltas` bucketed once into a temporary table ([`sqlite_bucket`]), then one upsert per
/// table from it ([`sqlite_fold`]), rather than each upsert bucketing them again.
fn sqlite_apply(deltas: &str) -> Vec<String> {
    std::iter::once(sqlite_bucket(deltas)).chain(sqlite_fold()).collect()
}

/// The temporary table of a SQLite folding: its connection's own, gone with the transaction if
/// that fails, dropped by [`sqlite_fold`] if not.
const BUCKETED: &str = "audit_rollup_bucketed";

fn sqlite_bucket(deltas: &str) -> String {
    format!("CREATE TEMP TABLE {BUCKETED} AS {}", bucketed(DbBackend::Sqlite, deltas))
}

/// Indexes the bucketed deltas in the two orders the upserts group them by (every table's
/// dimensions are a prefix of one of the two tables' by verb and object type), so each upsert
/// reads its groups in key order instead of sorting every row. Then the upserts, then the table
/// goes.
fn sqlite_fold() -> Vec<String> {
    let indexes = [Rollup::ActionsByVerbAndObjectType, Rollup::UserActionsByVerbAndObjectType].map(|rollup| {
        format!(
            "CREATE INDEX temp.ix_{BUCKETED}_as_{table} ON {BUCKETED} (grain, bucket, {dimensions}, delta)",
            table = rollup.name(),
            dimensions = columns(rollup.dimensions()),
        )
    });
    let upserts = Rollup::ALL.iter().map(|rollup| upsert(DbBackend::Sqlite, rollup.table(), BUCKETED));
    indexes.into_iter().chain(upserts).chain(std::iter::once(format!("DROP TABLE {BUCKETED}"))).collect()
}

/// How many deltas one compaction statement folds at most: a backlog (compaction stopped for a
/// day) is worked off in bounded statements rather than one that holds every row.
const COMPACTION_BATCH: i64 = 50_000;

#[derive(FromQueryResult)]
struct Folded {
    n: i64,
}

/// Folds the deltas into the rollup tables and removes them, in batches, and returns how many
/// delta rows it folded. Readers see a batch either still in [`DELTA`] or already in the tables,
/// never both or neither: on PostgreSQL a batch is one statement (`DELETE … RETURNING` feeding the
/// upserts), on SQLite one transaction that holds the write lock from its start. Two
/// compactions at once are safe (each row is deleted, hence folded, by one of them), merely
/// wasteful.
///
/// It folds into the tables this version knows: a caller whose database may have been migrated by
/// a newer version checks that first (the gateway's `compaction::fold` does).
pub async fn compact(db: &sea_orm::DatabaseConnection) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let mut total = 0;
    loop {
        let folded = match backend {
            DbBackend::Postgres => {
                let statement = postgres_apply(
                    &format!(
                        "moved AS (DELETE FROM {DELTA} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {DELTA} LIMIT $1)) \
                         RETURNING {DELTA_COLUMNS}), "
                    ),
                    &format!("SELECT {DELTA_COLUMNS} FROM moved"),
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM moved",
                );
                let statement = Statement::from_sql_and_values(backend, statement, [COMPACTION_BATCH.into()]);
                Folded::find_by_statement(statement).one(db).await?.map_or(0, |row| row.n)
            }
            _ => {
                // The batch's last delta; inside the transaction no other writer can add rows, so
                // every statement below sees the same batch.
                let batch =
                    format!("rowid <= (SELECT MAX(rowid) FROM (SELECT rowid FROM {DELTA} ORDER BY rowid LIMIT ?))");
                // `IMMEDIATE`: the write lock from the start. The first statement only reads the
                // log's database (it writes the temporary one); deferred, a writer committing before
                // the upserts would leave this transaction unable to write (`database is locked`).
                let immediate = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                let txn = db.begin_with_options(immediate).await?;
                let bucket = sqlite_bucket(&format!("SELECT {DELTA_COLUMNS} FROM {DELTA} WHERE {batch}"));
                txn.execute_raw(Statement::from_sql_and_values(backend, bucket, [COMPACTION_BATCH.into()])).await?;
                for statement in sqlite_fold() {
                    txn.execute_unprepared(&statement).await?;
                }
                let deleted = txn
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        format!("DELETE FROM {DELTA} WHERE {batch}"),
                        [COMPACTION_BATCH.into()],
                    ))
                    .await?;
                txn.commit().await?;
                i64::try_from(deleted.rows_affected()).unwrap_or(i64::MAX)
            }
        };
        total += u64::try_from(folded).unwrap_or(0);
        if folded < COMPACTION_BATCH {
            return Ok(total);
        }
    }
}
