//! One request's read of the log: every statement a request runs (a GraphQL request's fields and
//! its user batches, a REST request's page and users) sees one consistent state of the log, the
//! rollups and their pending deltas, so a response's figures always agree with each other even
//! while writers commit (docs/behaviour.md, "One response, one state of the log").
//!
//! A [`Snapshot`] is a read-only transaction on one pooled connection, begun by its first
//! statement (a request refused before it reads anything costs no round trip):
//! - PostgreSQL: `REPEATABLE READ READ ONLY`, whose snapshot is taken by the first statement and
//!   kept to the end;
//! - SQLite: a deferred `BEGIN`, whose first read fixes the state of the WAL it sees.
//!
//! The statements of one snapshot run one after another on its connection (GraphQL resolves
//! fields together; they take turns). It also remembers, for the request, whether the rollups had
//! pending deltas ([`Snapshot::pending_deltas`]): within one snapshot the answer cannot change.
//!
//! A request known to run a single statement says so ([`Snapshot::read_once`]): one statement
//! sees one state of the database by itself, so it runs on a pooled connection without the
//! transaction, whose `BEGIN`, `SET TRANSACTION` and `COMMIT` would cost PostgreSQL more than a
//! page of the log does.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, IsolationLevel,
    QueryResult, Statement, TransactionTrait,
};
use tokio::sync::OnceCell;

/// A consistent read of the audit database for one request. Cheap to clone: clones share the
/// transaction.
#[derive(Clone)]
pub struct Snapshot(Arc<Inner>);

/// A handle on a [`Snapshot`] that does not keep it open: the request's DataLoader holds one, so
/// its batch tasks (which may outlive a response by a moment) never keep the transaction from
/// [`Snapshot::finish`].
#[derive(Clone)]
pub struct WeakSnapshot(Weak<Inner>);

impl WeakSnapshot {
    /// The snapshot, while its request holds it.
    pub fn upgrade(&self) -> Option<Snapshot> {
        self.0.upgrade().map(Snapshot)
    }
}

struct Inner {
    db: DatabaseConnection,
    transaction: OnceCell<DatabaseTransaction>,
    /// Set by [`Snapshot::read_once`]: the next statement runs on the pool, without a transaction.
    alone: AtomicBool,
    /// Whether that one statement ran.
    read_alone: AtomicBool,
    /// Whether the rollup deltas had rows, once a rollup read asked.
    pending: OnceCell<bool>,
}

impl Snapshot {
    /// A snapshot of `db` that begins with its first statement.
    pub fn new(db: &DatabaseConnection) -> Self {
        Snapshot(Arc::new(Inner {
            db: db.clone(),
            transaction: OnceCell::new(),
            alone: AtomicBool::new(false),
            read_alone: AtomicBool::new(false),
            pending: OnceCell::new(),
        }))
    }

    /// A handle that does not keep the snapshot open.
    pub fn downgrade(&self) -> WeakSnapshot {
        WeakSnapshot(Arc::downgrade(&self.0))
    }

    /// Which database the snapshot reads (without beginning it).
    pub fn get_database_backend(&self) -> DbBackend {
        self.0.db.get_database_backend()
    }

    /// Declares that the request runs at most one statement (before it has run any): that one
    /// then needs no transaction. A second statement would begin one and could see a later state
    /// of the log than the first, so it is a bug, logged (and a panic in debug builds).
    pub fn read_once(&self) {
        if self.0.transaction.get().is_none() && !self.0.read_alone.load(Ordering::Acquire) {
            self.0.alone.store(true, Ordering::Release);
        }
    }

    /// Where the next statement runs: the pool for the one statement of a request that reads
    /// once, the snapshot's transaction otherwise.
    async fn reader(&self) -> Result<Reader<'_>, DbErr> {
        if self.0.alone.swap(false, Ordering::AcqRel) {
            self.0.read_alone.store(true, Ordering::Release);
            return Ok(Reader::Pool(&self.0.db));
        }
        if self.0.read_alone.load(Ordering::Acquire) {
            tracing::error!("a request declared to read once ran a second statement");
            debug_assert!(false, "a request declared to read once ran a second statement");
        }
        Ok(Reader::Transaction(self.0.transaction.get_or_try_init(|| begin(&self.0.db)).await?))
    }

    /// Whether the snapshot began its transaction (tests check that a request reading once does not).
    #[cfg(test)]
    pub(crate) fn began(&self) -> bool {
        self.0.transaction.get().is_some()
    }

    /// Whether the rollups' delta table had rows in this snapshot, asked once with `check`.
    pub(crate) async fn pending_deltas<F, Fut>(&self, check: F) -> Result<bool, DbErr>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool, DbErr>>,
    {
        self.0.pending.get_or_try_init(check).await.copied()
    }

    /// Ends the read and returns its connection to the pool at once. (A snapshot dropped without
    /// this rolls back when its connection is returned, which needs the runtime to get to it.)
    /// Nothing to do when no statement ran; a clone that still holds it ends it when dropped.
    pub async fn finish(self) {
        let Ok(inner) = Arc::try_unwrap(self.0) else {
            tracing::debug!("a read snapshot outlived its request");
            return;
        };
        if let Some(transaction) = inner.transaction.into_inner()
            && let Err(error) = transaction.commit().await
        {
            // The answer is already complete; the pool tests the connection before reusing it.
            tracing::warn!(%error, "ending a read snapshot failed");
        }
    }
}

/// Where a statement runs (see [`Snapshot::reader`]).
enum Reader<'a> {
    Pool(&'a DatabaseConnection),
    Transaction(&'a DatabaseTransaction),
}

/// A read-only transaction that keeps one snapshot of the database for all its statements.
async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
        }
        // SQLite's transactions are serializable; a deferred one only reads until it writes,
        // and the gateway's never write.
        _ => db.begin().await,
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Snapshot {
    fn get_database_backend(&self) -> DbBackend {
        Snapshot::get_database_backend(self)
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        match self.reader().await? {
            Reader::Pool(db) => db.execute_raw(statement).await,
            Reader::Transaction(transaction) => transaction.execute_raw(statement).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self.reader().await? {
            Reader::Pool(db) => db.execute_unprepared(sql).await,
            Reader::Transaction(transaction) => transaction.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.reader().await? {
            Reader::Pool(db) => db.query_one_raw(statement).await,
            Reader::Transaction(transaction) => transaction.query_one_raw(statement).await,
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.reader().await? {
            Reader::Pool(db) => db.query_all_raw(statement).await,
            Reader::Transaction(transaction) => transaction.query_all_raw(statement).await,
        }
    }
}
