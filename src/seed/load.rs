//! Writes rendered rows into the log inside one database transaction: PostgreSQL through
//! `COPY ... FROM STDIN`, SQLite through multi-row `INSERT`s. On PostgreSQL, into an empty log,
//! the secondary indexes and foreign keys are dropped for the load and re-created afterwards.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime, Timelike};
use sea_orm::sqlx::{self, AssertSqlSafe, Postgres};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, RuntimeErr, Statement};

/// Rows per SQLite `INSERT` statement.
pub(super) const INSERT_ROWS: usize = 5_000;

pub(super) const TRANSACTION_COLUMNS: &str = "\"transaction\" (id, issued_at, user_id, remote_addr)";
pub(super) const ACTIVITY_COLUMNS: &str = "activity (id, verb, transaction_id, object_type, object_id)";

/// How rows are rendered for the backend: PostgreSQL's `COPY` text format or SQL `VALUES` tuples.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Copy,
    Insert,
}

/// One hand-over from the generator: the transactions, then the activities that reference them.
pub(super) struct Chunk {
    /// One `COPY` payload, or complete `INSERT` statements.
    pub(super) transactions: Vec<String>,
    pub(super) activities: Vec<String>,
    pub(super) actions: u64,
}

/// Where the rows go, inside one database transaction.
pub(super) enum Writer {
    /// Straight through sqlx, which has `COPY` (SeaORM's transaction does not expose it).
    Postgres(sqlx::Transaction<'static, Postgres>),
    Sqlite(DatabaseTransaction),
}

impl Writer {
    pub(super) fn format(&self) -> Format {
        match self {
            Writer::Postgres(_) => Format::Copy,
            Writer::Sqlite(_) => Format::Insert,
        }
    }

    pub(super) async fn execute(&mut self, sql: &str) -> Result<(), DbErr> {
        match self {
            // Generator-made text only (see the module comment), hence the assertion.
            Writer::Postgres(txn) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut **txn).await.map(|_| ()).map_err(exec_err)
            }
            Writer::Sqlite(txn) => txn.execute_unprepared(sql).await.map(|_| ()),
        }
    }

    pub(super) async fn next_id(&mut self, table: &str) -> Result<i64, DbErr> {
        let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}");
        match self {
            Writer::Postgres(txn) => {
                sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut **txn).await.map_err(exec_err)
            }
            Writer::Sqlite(txn) => {
                let row = NextId::find_by_statement(Statement::from_string(DbBackend::Sqlite, sql)).one(txn).await?;
                Ok(row.map_or(1, |row| row.next))
            }
        }
    }

    pub(super) async fn write(&mut self, chunk: &Chunk) -> Result<(), DbErr> {
        match self {
            Writer::Postgres(txn) => {
                for (columns, payload) in
                    [(TRANSACTION_COLUMNS, &chunk.transactions), (ACTIVITY_COLUMNS, &chunk.activities)]
                {
                    let mut copy = txn.copy_in_raw(&format!("COPY {columns} FROM STDIN")).await.map_err(exec_err)?;
                    for data in payload {
                        copy.send(data.as_bytes()).await.map_err(exec_err)?;
                    }
                    copy.finish().await.map_err(exec_err)?;
                }
            }
            Writer::Sqlite(txn) => {
                for statement in chunk.transactions.iter().chain(&chunk.activities) {
                    txn.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }

    /// On PostgreSQL, drops the secondary indexes and foreign keys of the log tables and returns the
    /// statements that re-create them (their definitions as the catalog has them).
    pub(super) async fn defer_indexes(&mut self) -> Result<Vec<String>, DbErr> {
        let Writer::Postgres(txn) = self else { return Ok(Vec::new()) };
        let constraints: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) \
             FROM pg_constraint c WHERE c.contype = 'f' \
             AND c.conrelid IN ('\"transaction\"'::regclass, 'activity'::regclass)",
        )
        .fetch_all(&mut **txn)
        .await
        .map_err(exec_err)?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             WHERE NOT i.indisprimary AND NOT i.indisunique \
             AND i.indrelid IN ('\"transaction\"'::regclass, 'activity'::regclass)",
        )
        .fetch_all(&mut **txn)
        .await
        .map_err(exec_err)?;
        // Index builds sort; give this transaction's sorts room to stay in memory.
        self.execute("SET LOCAL maintenance_work_mem = '512MB'").await?;
        let mut recreate = Vec::new();
        for (table, name, definition) in &constraints {
            self.execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}")).await?;
            recreate.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"));
        }
        for (name, definition) in indexes {
            self.execute(&format!("DROP INDEX {name}")).await?;
            recreate.insert(0, definition);
        }
        Ok(recreate)
    }

    pub(super) async fn finish(mut self) -> Result<(), DbErr> {
        if let Writer::Postgres(_) = self {
            // Explicit ids leave the sequences behind; later inserts without ids must not collide.
            for table in ["users", "transaction", "activity"] {
                self.execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                ))
                .await?;
            }
        }
        match self {
            Writer::Postgres(txn) => txn.commit().await.map_err(exec_err),
            Writer::Sqlite(txn) => txn.commit().await,
        }
    }
}

pub(super) fn exec_err(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

#[derive(FromQueryResult)]
struct NextId {
    pub(super) next: i64,
}

/// Rows of one table rendered as text: `COPY` lines (tab-separated, `\N` for NULL) or
/// `INSERT ... VALUES` statements of [`INSERT_ROWS`] rows.
pub(super) struct Table {
    pub(super) format: Format,
    pub(super) columns: &'static str,
    pub(super) done: Vec<String>,
    pub(super) text: String,
    pub(super) rows: usize,
    pub(super) fields: usize,
}

impl Table {
    pub(super) fn new(format: Format, columns: &'static str) -> Self {
        Table { format, columns, done: Vec::new(), text: String::new(), rows: 0, fields: 0 }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.done.is_empty() && self.rows == 0
    }

    pub(super) fn row(&mut self) -> &mut Self {
        if self.format == Format::Insert {
            if self.rows == 0 {
                let _ = write!(self.text, "INSERT INTO {} VALUES (", self.columns);
            } else {
                self.text.push_str(", (");
            }
        }
        self.fields = 0;
        self
    }

    pub(super) fn separate(&mut self) {
        if self.fields > 0 {
            self.text.push(if self.format == Format::Copy { '\t' } else { ',' });
        }
        self.fields += 1;
    }

    pub(super) fn int(&mut self, value: i64) -> &mut Self {
        self.separate();
        self.text.push_str(itoa::Buffer::new().format(value));
        self
    }

    pub(super) fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.int(value),
            None => {
                self.separate();
                self.text.push_str(if self.format == Format::Copy { "\\N" } else { "NULL" });
                self
            }
        }
    }

    pub(super) fn quote(&mut self) {
        if self.format == Format::Insert {
            self.text.push('\'');
        }
    }

    /// A vocabulary word, free of quotes, tabs and backslashes.
    pub(super) fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        self.quote();
        self.text.push_str(value);
        self.quote();
        self
    }

    /// `YYYY-MM-DD HH:MM:SS`, without chrono's format-string interpretation on every row.
    pub(super) fn timestamp(&mut self, at: NaiveDateTime) -> &mut Self {
        self.separate();
        self.quote();
        let two = |text: &mut String, n: u32| {
            text.push(char::from(b'0' + (n / 10) as u8));
            text.push(char::from(b'0' + (n % 10) as u8));
        };
        let year = at.year().clamp(0, 9999) as u32;
        two(&mut self.text, year / 100);
        two(&mut self.text, year % 100);
        self.text.push('-');
        two(&mut self.text, at.month());
        self.text.push('-');
        two(&mut self.text, at.day());
        self.text.push(' ');
        two(&mut self.text, at.hour());
        self.text.push(':');
        two(&mut self.text, at.minute());
        self.text.push(':');
        two(&mut self.text, at.second());
        self.quote();
        self
    }

    pub(super) fn ip(&mut self, [b, c, d]: [i32; 3]) -> &mut Self {
        self.separate();
        self.quote();
        self.text.push_str("10.");
        for (i, part) in [b, c, d].into_iter().enumerate() {
            if i > 0 {
                self.text.push('.');
            }
            self.text.push_str(itoa::Buffer::new().format(part));
        }
        self.quote();
        self
    }

    pub(super) fn end(&mut self) {
        self.rows += 1;
        match self.format {
            Format::Copy => self.text.push('\n'),
            Format::Insert => {
                self.text.push(')');
                if self.rows == INSERT_ROWS {
                    self.seal();
                }
            }
        }
    }

    pub(super) fn seal(&mut self) {
        if self.rows > 0 {
            let capacity = self.text.capacity();
            self.done.push(std::mem::replace(&mut self.text, String::with_capacity(capacity)));
            self.rows = 0;
        }
    }

    /// Everything rendered since the last call.
    pub(super) fn take(&mut self) -> Vec<String> {
        self.seal();
        std::mem::take(&mut self.done)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn copy_rows_are_tab_separated_with_backslash_n_for_null() {
        let mut table = Table::new(Format::Copy, ACTIVITY_COLUMNS);
        table.row().int(7).text("update").int(3).text("Anomaly").opt_int(None).end();
        let at = NaiveDate::from_ymd_opt(2026, 1, 2).and_then(|d| d.and_hms_opt(3, 4, 5)).unwrap_or_default();
        table.row().int(8).timestamp(at).opt_int(Some(12)).ip([1, 22, 254]).end();
        assert_eq!(table.take(), vec!["7\tupdate\t3\tAnomaly\t\\N\n8\t2026-01-02 03:04:05\t12\t10.1.22.254\n"]);
    }

    #[test]
    fn inserts_quote_text_and_split_into_statements() {
        let mut table = Table::new(Format::Insert, ACTIVITY_COLUMNS);
        for id in 0..INSERT_ROWS as i64 + 1 {
            table.row().int(id).text("create").int(1).text("Tag").opt_int(None).end();
        }
        let statements = table.take();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].starts_with("INSERT INTO activity (id, verb, transaction_id, object_type, object_id) VALUES (0,'create',1,'Tag',NULL), (1,"));
        assert_eq!(
            statements[1],
            format!("INSERT INTO {ACTIVITY_COLUMNS} VALUES ({},'create',1,'Tag',NULL)", INSERT_ROWS)
        );
    }
}
