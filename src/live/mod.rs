//! The live feed: following the log as it is written, for the GraphQL subscription
//! (`activityEvents`, [`crate::graphql::ws`]) and the server-sent events of
//! `GET /api/activity/stream` ([`crate::rest`]).
//!
//! One reader task per gateway ([`Hub`]), running while anyone follows, reads the new rows in feed order
//! ([`crate::audit::feed`]) and hands each batch to every follower at once; it wakes on
//! PostgreSQL's `NOTIFY audit_gateway_activity` and, in any case, every [`POLL`] (SQLite, a hot
//! standby, a lost listener connection, or rows waiting for an older transaction to finish). The
//! notification only says "read"; the reader reads by position.
//!
//! A follower ([`follow`]) first reads what it missed from the table (from its cursor to where the
//! reader stands), then takes the reader's batches. Every batch says which position it follows: a
//! follower that finds a gap (it fell behind and the batches it missed were dropped, or it
//! started between two batches) reads the gap from the table, and so does one that finds the reader
//! standing past it with no batch coming (a reader that started after it). So a slow follower
//! costs reads, never memory, and never misses a row; what each follower holds is a page at most.
//!
//! [`Hub::admit`] bounds the followers of one token ([`MAX_FOLLOWERS_PER_TOKEN`]), whichever way
//! they follow.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::Stream;
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{Notify, broadcast, watch};

use crate::audit::feed::{self, FeedItem, FeedPosition};
use crate::filter::Filter;
use crate::telemetry;

/// How often the reader reads when nothing woke it: the longest a row waits without a
/// notification (the commit-to-delivery latency on SQLite and on a standby).
pub const POLL: Duration = Duration::from_millis(500);

/// Rows per statement, for the reader and for a follower reading what it missed.
const PAGE_ROWS: i64 = 500;

/// Batches the reader keeps for followers that have not taken them yet; one that falls further
/// behind reads the gap from the table.
const BUFFERED_BATCHES: usize = 64;

/// Followers (subscriptions and event streams together) one token may have open at once.
pub const MAX_FOLLOWERS_PER_TOKEN: usize = 50;

/// The channel the feed's trigger notifies (the tenth migration).
const CHANNEL: &str = "audit_gateway_activity";

/// How long the reader waits after a failed read, or before trying to listen again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
const LISTEN_AGAIN_AFTER: Duration = Duration::from_secs(30);

/// Rows the reader read together: every row after `after` up to `through`, in feed order (all of
/// them, whatever a follower's filter).
#[derive(Debug)]
pub struct Batch {
    after: FeedPosition,
    through: FeedPosition,
    items: Vec<FeedItem>,
}

/// The gateway's one reader of new rows and its followers. Cheap to clone: clones share it.
#[derive(Clone)]
pub struct Hub(Arc<Shared>);

struct Shared {
    db: DatabaseConnection,
    batches: broadcast::Sender<Arc<Batch>>,
    /// Where the reader stands: every row up to here was sent in a batch, or came before the
    /// reader started. A follower behind it with no batch coming (the reader started after the
    /// follower, past rows it still needs) reads the difference from the table.
    read_up_to: watch::Sender<Option<FeedPosition>>,
    /// Whether the reader task runs: started by a follower, it stops when none is left, so a
    /// gateway nobody follows reads nothing and holds no listening connection.
    reader_running: Mutex<bool>,
    followers_by_token: Mutex<HashMap<i64, usize>>,
    /// Wakes the reader (a follower starting). The reader holds it without holding the hub.
    wake: Arc<Notify>,
    /// Whether the reader may `LISTEN` (PostgreSQL, and not read-only); otherwise it polls.
    listens: bool,
}

/// The transports that follow the feed, for the open-followers gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    EventStream,
}

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::EventStream => "sse",
        }
    }
}

/// A follower's place among its token's; dropping it frees the place.
pub struct Admitted {
    hub: Weak<Shared>,
    token_id: i64,
    transport: Transport,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        telemetry::followers(self.transport.label(), -1.0);
        let Some(shared) = self.hub.upgrade() else { return };
        let mut counts = shared.followers_by_token.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.token_id) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.token_id);
            }
        }
    }
}

impl Hub {
    pub fn new(db: DatabaseConnection) -> Self {
        let listens = db.get_database_backend() == DbBackend::Postgres;
        Hub::with_wakeups(db, listens)
    }

    /// A hub whose reader only polls: it writes nothing (a read-only gateway).
    pub fn polling(db: DatabaseConnection) -> Self {
        Hub::with_wakeups(db, false)
    }

    fn with_wakeups(db: DatabaseConnection, listens: bool) -> Self {
        let (batches, _) = broadcast::channel(BUFFERED_BATCHES);
        Hub(Arc::new(Shared {
            listens,
            db,
            batches,
            read_up_to: watch::Sender::new(None),
            reader_running: Mutex::new(false),
            followers_by_token: Mutex::default(),
            wake: Arc::default(),
        }))
    }

    /// A place for one more follower of `token_id`, or `None` when it has [`MAX_FOLLOWERS_PER_TOKEN`].
    pub fn admit(&self, token_id: i64, transport: Transport) -> Option<Admitted> {
        let mut counts = self.0.followers_by_token.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(token_id).or_default();
        if *count >= MAX_FOLLOWERS_PER_TOKEN {
            return None;
        }
        *count += 1;
        telemetry::followers(transport.label(), 1.0);
        Some(Admitted { hub: Arc::downgrade(&self.0), token_id, transport })
    }

    /// Every row in `filter`'s scope after `after` (from now without one: where the log stands
    /// when this returns), oldest first, as each becomes final; the stream ends after a database
    /// error, which it yields.
    pub async fn follow(
        &self,
        filter: Filter,
        after: Option<FeedPosition>,
    ) -> Result<impl Stream<Item = Result<FeedItem, DbErr>> + Send + 'static, DbErr> {
        // Taking batches before reading where the log stands: nothing falls between the two.
        let batches = self.0.batches.subscribe();
        let mut reader_at = self.0.read_up_to.subscribe();
        reader_at.mark_changed();
        self.start_reader();
        let head = feed::head(&self.0.db).await?;
        let follower = Follower {
            db: self.0.db.clone(),
            filter,
            batches,
            reader_at,
            covered: after.unwrap_or(head),
            target: Some(head),
            waiting: None,
            ready: VecDeque::new(),
            failed: false,
        };
        Ok(futures_util::stream::unfold(follower, |mut follower| async move {
            let next = follower.next().await?;
            Some((next, follower))
        }))
    }

    fn start_reader(&self) {
        let mut running = self.0.reader_running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*running {
            *running = true;
            tokio::spawn(read_new_rows(Arc::downgrade(&self.0), self.0.wake.clone()));
        }
        drop(running);
        self.0.wake.notify_one();
    }
}

/// The reader task: reads the rows after its position whenever woken, while anyone follows.
async fn read_new_rows(shared: Weak<Shared>, wake: Arc<Notify>) {
    let mut position: Option<FeedPosition> = None;
    let mut listener = Listener::default();
    loop {
        let Some(hub) = shared.upgrade() else { return };
        if hub.batches.receiver_count() == 0 {
            // A follower subscribes before it starts the reader, so one that comes now either is
            // counted here or finds the reader stopped and starts another.
            let mut running = hub.reader_running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if hub.batches.receiver_count() == 0 {
                *running = false;
                return;
            }
        }
        if hub.listens {
            listener.keep_listening(&hub.db).await;
        }
        let pause = match read_batches(&hub, &mut position).await {
            Ok(()) => POLL,
            Err(error) => {
                tracing::warn!(%error, "the live feed could not read the log; trying again");
                RETRY_AFTER
            }
        };
        drop(hub);
        tokio::select! {
            () = listener.notified() => {}
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Sends every row after `position` (where the log stood when the reader started, at first) to
/// the followers, batch by batch.
async fn read_batches(hub: &Shared, position: &mut Option<FeedPosition>) -> Result<(), DbErr> {
    let mut after = match *position {
        Some(after) => after,
        None => feed::head(&hub.db).await?,
    };
    loop {
        let items = feed::read(&hub.db, after, None, None, PAGE_ROWS).await?;
        let Some(last) = items.last() else { break };
        let through = last.position;
        let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= PAGE_ROWS;
        // No follower left is fine: the next one reads from the table.
        let _ = hub.batches.send(Arc::new(Batch { after, through, items }));
        after = through;
        if !full {
            break;
        }
    }
    *position = Some(after);
    hub.read_up_to.send_if_modified(|read_up_to| read_up_to.replace(after) != Some(after));
    Ok(())
}

/// PostgreSQL notifications, when they can be had: a hot standby refuses `LISTEN`, and a lost
/// connection loses what was sent meanwhile (the reader polls anyway).
///
/// The feed's trigger notifies only while `activity_feed_listened` says some gateway listens
/// (PostgreSQL queues every notification under one lock for the whole cluster at commit, which
/// concurrent writers take in turn): a listening gateway keeps that 30 seconds ahead ([`ANNOUNCE`]),
/// renewing it every [`ANNOUNCE_EVERY`].
#[derive(Default)]
struct Listener {
    listening: Option<PgListener>,
    next_attempt: Option<tokio::time::Instant>,
    /// When the announcement is due again.
    next_announcement: Option<tokio::time::Instant>,
}

/// How often a listening gateway renews its announcement.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(10);

/// Extends the announcement, never shortening another gateway's.
const ANNOUNCE: &str = "INSERT INTO activity_feed_listened (until) VALUES (now() + interval '30 seconds') \
     ON CONFLICT (one) DO UPDATE SET until = GREATEST(activity_feed_listened.until, EXCLUDED.until)";

impl Listener {
    /// Listens if it can, and keeps the announcement fresh while it does.
    async fn keep_listening(&mut self, db: &DatabaseConnection) {
        self.listen(db).await;
        let now = tokio::time::Instant::now();
        if self.listening.is_none() || self.next_announcement.is_some_and(|due| now < due) {
            return;
        }
        self.next_announcement = Some(now + ANNOUNCE_EVERY);
        if let Err(error) = db.execute_unprepared(ANNOUNCE).await {
            // Writers' inserts then wake no one; the poll still finds them.
            tracing::warn!(%error, "the live feed could not announce that it listens");
        }
    }

    async fn listen(&mut self, db: &DatabaseConnection) {
        if self.listening.is_some() || self.next_attempt.is_some_and(|at| tokio::time::Instant::now() < at) {
            return;
        }
        // A connection of its own, outside the request pool, held while anyone follows.
        let options = db.get_postgres_connection_pool().connect_options().as_ref().clone();
        let pool =
            PgPoolOptions::new().max_connections(1).idle_timeout(None).max_lifetime(None).connect_lazy_with(options);
        let listening = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        match listening.await {
            Ok(listener) => {
                tracing::debug!("the live feed listens for new rows");
                self.listening = Some(listener);
            }
            Err(error) => {
                tracing::info!(%error, "the live feed cannot listen for new rows; it polls every 500 ms");
                self.next_attempt = Some(tokio::time::Instant::now() + LISTEN_AGAIN_AFTER);
            }
        }
    }

    /// Resolves on a notification, or when the connection was lost (a notification may have been
    /// missed); never without a listener.
    async fn notified(&mut self) {
        let Some(listener) = &mut self.listening else { return std::future::pending().await };
        match listener.try_recv().await {
            Ok(_) => {}
            Err(error) => {
                tracing::info!(%error, "the live feed lost its listener connection; polling until it is back");
                self.listening = None;
                self.next_announcement = None;
                self.next_attempt = Some(tokio::time::Instant::now() + RETRY_AFTER);
            }
        }
    }
}

/// One follower's way through the feed: what it has covered (every row up to there was delivered
/// or was out of its scope), what it still has to read from the table, and the rows read but not
/// yet taken.
struct Follower {
    db: DatabaseConnection,
    filter: Filter,
    batches: broadcast::Receiver<Arc<Batch>>,
    /// Where the reader stands ([`Shared::read_up_to`]).
    reader_at: watch::Receiver<Option<FeedPosition>>,
    covered: FeedPosition,
    /// A position to read up to from the table before taking batches again.
    target: Option<FeedPosition>,
    /// A batch that came after a gap, taken once the gap is read.
    waiting: Option<Arc<Batch>>,
    ready: VecDeque<FeedItem>,
    failed: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<Result<FeedItem, DbErr>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            if let Err(error) = self.fill().await {
                self.failed = true;
                return Some(Err(error));
            }
        }
    }

    /// Reads one page from the table, or takes one batch.
    async fn fill(&mut self) -> Result<(), DbErr> {
        let covered = self.covered;
        if let Some(target) = self.target.filter(|target| *target > covered) {
            let rows = feed::read(&self.db, covered, Some(target), Some(&self.filter), PAGE_ROWS).await?;
            let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= PAGE_ROWS;
            match rows.last() {
                Some(last) if full => self.covered = last.position,
                _ => {
                    self.covered = target;
                    self.target = None;
                }
            }
            self.ready.extend(rows);
            return Ok(());
        }
        self.target = None;
        if let Some(batch) = self.waiting.take() {
            self.take(&batch);
            return Ok(());
        }
        tokio::select! {
            // Batches first: the reader sends a batch before it moves `read_up_to` past it, so a
            // follower that keeps up takes the batch and finds nothing left to read.
            biased;
            received = self.batches.recv() => match received {
                Ok(batch) if batch.after > covered => {
                    // Batches were missed: read the gap from the table, then take this one.
                    self.target = Some(batch.after);
                    self.waiting = Some(batch);
                    Ok(())
                }
                Ok(batch) => {
                    self.take(&batch);
                    Ok(())
                }
                // The batches missed leave a gap before the next one, read from the table then.
                Err(broadcast::error::RecvError::Lagged(_)) => Ok(()),
                Err(broadcast::error::RecvError::Closed) => {
                    Err(DbErr::Custom("the live feed's reader stopped".into()))
                }
            },
            changed = self.reader_at.changed() => {
                if changed.is_err() {
                    return Err(DbErr::Custom("the live feed's reader stopped".into()));
                }
                // Rows up to where the reader stands are final: what this follower has not
                // covered of them, no batch may bring (the reader started past them).
                if let Some(reader_at) = *self.reader_at.borrow_and_update()
                    && reader_at > covered
                {
                    self.target = Some(reader_at);
                }
                Ok(())
            }
        }
    }

    /// The batch's rows after what is covered, in the follower's scope.
    fn take(&mut self, batch: &Batch) {
        let covered = self.covered;
        if batch.through <= covered {
            return;
        }
        let fresh = batch.items.iter().filter(|item| item.position > covered && feed::admits(&self.filter, &item.item));
        self.ready.extend(fresh.cloned());
        self.covered = batch.through;
    }
}
