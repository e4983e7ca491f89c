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

use std::future::Future;
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
    /// Whether the rollup deltas had rows, once a rollup read asked.
    pending: OnceCell<bool>,
}

impl Snapshot {
    /// A snapshot of `db` that begins with its first statement.
    pub fn new(db: &DatabaseConnection) -> Self {
        Snapshot(Arc::new(Inner { db: db.clone(), transaction: OnceCell::new(), pending: OnceCell::new() }))
    }

    /// A handle that does not keep the snapshot open.
    pub fn downgrade(&self) -> WeakSnapshot {
        WeakSnapshot(Arc::downgrade(&self.0))
    }

    /// Which database the snapshot reads (without beginning it).
    pub fn get_database_backend(&self) -> DbBackend {
        self.0.db.get_database_backend()
    }

    async fn transaction(&self) -> Result<&DatabaseTransaction, DbErr> {
        self.0.transaction.get_or_try_init(|| begin(&self.0.db)).await
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
        self.transaction().await?.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.transaction().await?.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.transaction().await?.query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.transaction().await?.query_all_raw(statement).await
    }
}
