//! Exports: every row of a filter's scope, in the list's order, read in keyset chunks of
//! [`CHUNK_ROWS`]. Each chunk is one short statement on the pool (no transaction, no connection
//! held between chunks), so a download of millions of rows holds a chunk or two in memory and
//! nothing in the database.
//!
//! **As of the start.** An export reads the rows whose activity id is at most the newest one
//! committed when it began ([`Export::begin`]): rows written during the download are left out.
//! SQLite commits ids in order, so there that is exactly the log as it was. PostgreSQL allocates
//! ids before commit: a transaction still open when the export began that commits a smaller id
//! while the export runs is included if its row comes after the export's position.

use chrono::NaiveDateTime;
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult, QueryResult, Statement};

use super::Snapshot;
use super::connection::{Keyset, Position, keyset};
use crate::filter::Filter;

/// Rows per statement: a few milliseconds of work each, a few hundred KB of output.
pub const CHUNK_ROWS: i64 = 2_000;

/// One exported row: its activity, transaction and user, as an export writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub activity_id: i64,
    /// UTC.
    pub issued_at: NaiveDateTime,
    pub user_id: Option<i64>,
    /// The user's, as now; `None` without a user or once the account was deleted.
    pub user_name: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub is_internal: Option<bool>,
    pub verb: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub transaction_id: i64,
    pub remote_addr: Option<String>,
    /// `issued_at` as the database orders it: the export's position after this row.
    issued_at_text: String,
}

/// The columns of an [`ExportRow`], in the order it reads them (by index: an export decodes
/// millions of rows).
const EXPORT_COLUMNS: &str = "SELECT a.id, t.issued_at, t.user_id, u.user_name, u.name, u.email, u.is_internal, \
     a.verb, a.object_type, a.object_id, t.id, t.remote_addr, CAST(t.issued_at AS TEXT)";

impl FromQueryResult for ExportRow {
    fn from_query_result(row: &QueryResult, _: &str) -> Result<Self, DbErr> {
        Ok(ExportRow {
            activity_id: row.try_get_by_index(0)?,
            issued_at: row.try_get_by_index(1)?,
            user_id: row.try_get_by_index(2)?,
            user_name: row.try_get_by_index(3)?,
            name: row.try_get_by_index(4)?,
            email: row.try_get_by_index(5)?,
            is_internal: row.try_get_by_index(6)?,
            verb: row.try_get_by_index(7)?,
            object_type: row.try_get_by_index(8)?,
            object_id: row.try_get_by_index(9)?,
            transaction_id: row.try_get_by_index(10)?,
            remote_addr: row.try_get_by_index(11)?,
            issued_at_text: row.try_get_by_index(12)?,
        })
    }
}

/// Where an export stands: cheap to clone, so the next chunk can be read while the last one is
/// written out.
#[derive(Clone)]
pub struct Export {
    filter: Filter,
    /// The newest activity id when the export began; `None` for an empty log.
    newest_id: Option<i64>,
    /// The last row read.
    after: Option<Position>,
    finished: bool,
}

#[derive(FromQueryResult)]
struct Newest {
    id: Option<i64>,
}

impl Export {
    /// Notes where the log stands, so rows written later stay out.
    pub async fn begin(db: &DatabaseConnection, filter: Filter) -> Result<Export, DbErr> {
        let statement = Statement::from_string(db.get_database_backend(), "SELECT MAX(id) AS id FROM activity");
        let newest_id = Newest::find_by_statement(statement).one(db).await?.and_then(|row| row.id);
        Ok(Export { filter, newest_id, after: None, finished: newest_id.is_none() })
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Whether every row has been read.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The next rows, newest first; empty once every row has been read.
    pub async fn next_chunk(&mut self, db: &DatabaseConnection) -> Result<Vec<ExportRow>, DbErr> {
        if self.finished {
            return Ok(Vec::new());
        }
        let snapshot = Snapshot::new(db);
        // One statement sees one state of the log by itself.
        snapshot.read_once();
        let bounds = Keyset {
            after: self.after.as_ref(),
            before: None,
            newest_first: true,
            limit: CHUNK_ROWS,
            newest_id: self.newest_id,
        };
        let rows = keyset::<ExportRow>(&snapshot, EXPORT_COLUMNS, &self.filter, bounds).await;
        snapshot.finish().await;
        let rows = rows?;
        self.finished = i64::try_from(rows.len()).unwrap_or(i64::MAX) < CHUNK_ROWS;
        self.after = rows.last().map(|row| Position::at(&row.issued_at_text, row.activity_id));
        Ok(rows)
    }
}
