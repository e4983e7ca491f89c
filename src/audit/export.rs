//! Exports: every row of a filter's scope, in the list's order, read in keyset chunks of
//! [`CHUNK_ROWS`]. Each chunk is one short statement on the pool (no transaction, no connection
//! held between chunks), so a download of millions of rows holds a chunk in memory and nothing in
//! the database.
//!
//! **As of the start.** An export reads the rows whose activity id is at most the newest one
//! committed when it began ([`Export::begin`]): rows written during the download are left out.
//! SQLite commits ids in order, so there that is exactly the log as it was. PostgreSQL allocates
//! ids before commit: a transaction still open when the export began that commits a smaller id
//! while the export runs is included if its row comes after the export's position.

use sea_orm::{DatabaseConnection, DbErr, FromQueryResult, Statement};

use super::connection::{Position, seek};
use super::{ActivityItem, Snapshot};
use crate::filter::Filter;

/// Rows per statement: a few milliseconds of work each, a few hundred KB of output.
pub const CHUNK_ROWS: i64 = 2_000;

/// Where an export stands.
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

    /// The next rows, newest first; empty once every row has been read.
    pub async fn next_chunk(&mut self, db: &DatabaseConnection) -> Result<Vec<ActivityItem>, DbErr> {
        if self.finished {
            return Ok(Vec::new());
        }
        let snapshot = Snapshot::new(db);
        // One statement sees one state of the log by itself.
        snapshot.read_once();
        let rows = seek(&snapshot, &self.filter, self.after.as_ref(), None, true, CHUNK_ROWS, self.newest_id).await;
        snapshot.finish().await;
        let rows = rows?;
        self.finished = i64::try_from(rows.len()).unwrap_or(i64::MAX) < CHUNK_ROWS;
        self.after = rows.last().map(Position::of);
        Ok(rows)
    }
}
