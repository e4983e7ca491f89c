//! Retention: removing the log's transactions older than a number of local days, with their
//! activities (`audit-gateway retention`, and `serve --retain-days` once a day).
//!
//! The log's own delete triggers keep the rollups exact: every activity removed appends its `-1`
//! deltas in the statement that removes it, so each figure, folded or pending, equals the plain
//! path's at every moment of a run, as for any other writer's delete. What keeps writers going is
//! the size of each step: transactions are taken oldest first, [`TRANSACTIONS_PER_BATCH`] at a
//! time, walking the `(issued_at, id)` index from where the last batch ended (never re-reading
//! what is already gone), and their activities are removed [`ACTIVITIES_PER_STATEMENT`] at a time,
//! each statement its own short transaction, and after each batch the run pauses as long as the
//! batch took, so it holds the database at most half the time. A transaction goes once none of its
//! activities is left (one that gains an activity meanwhile stays, for the next run).
//!
//! On PostgreSQL the live feed's positions of removed activities go too ([`prune_feed`]).

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult};

use crate::audit::sql::Sql;
use crate::filter;

/// Transactions removed per batch.
pub const TRANSACTIONS_PER_BATCH: i64 = 500;

/// Activities removed per statement.
pub const ACTIVITIES_PER_STATEMENT: i64 = 5_000;

/// How often a run says how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What to keep: the last `keep_days` local days before today, and today.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub keep_days: u32,
    /// Where the days are counted (UTC unless told otherwise).
    pub zone: Tz,
}

impl Policy {
    /// The first instant kept, in UTC: the local midnight `keep_days` days before today's (where
    /// the zone skips that midnight, the day's first minute that exists).
    pub fn cutoff(&self, now: DateTime<Utc>) -> NaiveDateTime {
        let today = filter::today_in(self.zone, now);
        let first_kept = today.checked_sub_days(Days::new(self.keep_days.into())).unwrap_or(NaiveDate::MIN);
        filter::day_start_in(self.zone, first_kept)
    }
}

/// How much a run removed, or a dry run would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Removed {
    pub transactions: i64,
    pub activities: i64,
}

/// What a run would remove: the transactions issued before `cutoff` and their activities.
pub async fn count(db: &DatabaseConnection, cutoff: NaiveDateTime) -> Result<Removed, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT (SELECT COUNT(*) FROM \"transaction\" WHERE issued_at < ")
        .bind(cutoff)
        .push(") AS transactions, (SELECT COUNT(*) FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id")
        .push(" WHERE t.issued_at < ")
        .bind(cutoff)
        .push(") AS activities");
    Ok(Removed::find_by_statement(sql.into_statement()).one(db).await?.unwrap_or_default())
}

/// A transaction's place in the `(issued_at, id)` order.
#[derive(Clone, Copy, Debug, FromQueryResult)]
struct Key {
    issued_at: NaiveDateTime,
    id: i64,
}

/// Removes the transactions issued before `cutoff` and their activities, batch by batch, and
/// returns the totals it removed. Stops at the first error (what it removed stays removed, and
/// every figure stays exact: run it again to go on).
pub async fn remove(db: &DatabaseConnection, cutoff: NaiveDateTime) -> Result<Removed, DbErr> {
    remove_reporting(db, cutoff, async |_| {}).await
}

/// [`remove`], calling `after_batch` with the totals so far after each batch.
pub async fn remove_reporting(
    db: &DatabaseConnection,
    cutoff: NaiveDateTime,
    mut after_batch: impl AsyncFnMut(Removed),
) -> Result<Removed, DbErr> {
    let started = Instant::now();
    let mut said = Instant::now();
    let mut removed = Removed::default();
    let mut after: Option<Key> = None;
    while let Some(last) = last_of_batch(db, cutoff, after).await? {
        let batch_started = Instant::now();
        loop {
            let gone = remove_activities(db, after, last).await?;
            removed.activities += i64::try_from(gone).unwrap_or(i64::MAX);
            if gone < ACTIVITIES_PER_STATEMENT.unsigned_abs() {
                break;
            }
        }
        removed.transactions += i64::try_from(remove_transactions(db, after, last).await?).unwrap_or(i64::MAX);
        after = Some(last);
        // Half the time at most: the writers' statements get the database the other half.
        tokio::time::sleep(batch_started.elapsed()).await;
        after_batch(removed).await;
        if said.elapsed() >= PROGRESS_EVERY {
            said = Instant::now();
            tracing::info!(
                transactions = removed.transactions,
                activities = removed.activities,
                up_to = %last.issued_at,
                "retention: removing"
            );
        }
    }
    if db.get_database_backend() == DbBackend::Postgres {
        prune_feed(db).await?;
    }
    tracing::info!(
        transactions = removed.transactions,
        activities = removed.activities,
        %cutoff,
        elapsed_s = started.elapsed().as_secs(),
        "retention: removed everything issued before the cutoff"
    );
    Ok(removed)
}

/// The last transaction of the next batch: the [`TRANSACTIONS_PER_BATCH`]-th issued before
/// `cutoff` after `after` (or the last one there is); `None` when none is left.
async fn last_of_batch(
    db: &DatabaseConnection,
    cutoff: NaiveDateTime,
    after: Option<Key>,
) -> Result<Option<Key>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT issued_at, id FROM (SELECT issued_at, id FROM \"transaction\" WHERE issued_at < ").bind(cutoff);
    push_after(&mut sql, "", after);
    sql.push(" ORDER BY issued_at, id LIMIT ")
        .bind(TRANSACTIONS_PER_BATCH)
        .push(") batch ORDER BY issued_at DESC, id DESC LIMIT 1");
    Key::find_by_statement(sql.into_statement()).one(db).await
}

/// Writes ` AND (issued_at, id) > (…)` for the transactions after `after`, if there is one.
///
/// Each row comparison comes with the same bound on `issued_at` alone, which changes nothing in
/// what is selected: PostgreSQL estimates a row comparison's rows as a large share of the table,
/// and with that estimate it deletes a batch by a merge join from the start of
/// `activity (transaction_id)`, through every entry the earlier batches left dead, so each batch
/// would cost more than the last. The plain bounds give it the batch's real size.
fn push_after(sql: &mut Sql, alias: &str, after: Option<Key>) {
    if let Some(after) = after {
        sql.push(&format!(" AND {alias}issued_at >= ")).bind(after.issued_at);
        sql.push(&format!(" AND ({alias}issued_at, {alias}id) > ("))
            .bind(after.issued_at)
            .push(", ")
            .bind(after.id)
            .push(")");
    }
}

/// Writes the transactions of the batch `(after, last]`, as a condition on `t`.
fn push_batch(sql: &mut Sql, after: Option<Key>, last: Key) {
    sql.push("t.issued_at <= ").bind(last.issued_at);
    sql.push(" AND (t.issued_at, t.id) <= (").bind(last.issued_at).push(", ").bind(last.id).push(")");
    push_after(sql, "t.", after);
}

/// Removes up to [`ACTIVITIES_PER_STATEMENT`] activities of the batch's transactions.
async fn remove_activities(db: &DatabaseConnection, after: Option<Key>, last: Key) -> Result<u64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "DELETE FROM activity WHERE id IN (SELECT a.id FROM activity a WHERE a.transaction_id IN \
         (SELECT t.id FROM \"transaction\" t WHERE ",
    );
    push_batch(&mut sql, after, last);
    sql.push(") LIMIT ").bind(ACTIVITIES_PER_STATEMENT).push(")");
    Ok(db.execute_raw(sql.into_statement()).await?.rows_affected())
}

/// Removes the batch's transactions that have no activity left.
async fn remove_transactions(db: &DatabaseConnection, after: Option<Key>, last: Key) -> Result<u64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("DELETE FROM \"transaction\" WHERE id IN (SELECT t.id FROM \"transaction\" t WHERE ");
    push_batch(&mut sql, after, last);
    sql.push(" AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.transaction_id = t.id))");
    Ok(db.execute_raw(sql.into_statement()).await?.rows_affected())
}

/// The advisory lock one gateway holds while its daily run removes (PostgreSQL): "auditRet".
const LOCK_KEY: i64 = 0x6175_6469_7452_6574;

/// How often `serve --retain-days` runs.
pub const EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs [`remove`] now and then every [`EVERY`] until the returned task is aborted. On
/// PostgreSQL a run first takes an advisory lock, so of several gateways over one log one runs at
/// a time; a gateway that finds it taken skips that day's run (the other one is doing it).
pub fn spawn(db: DatabaseConnection, policy: Policy) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut days = tokio::time::interval(EVERY);
        days.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            days.tick().await;
            if let Err(error) = run_once(&db, policy).await {
                tracing::warn!(%error, "retention: the run stopped; the next one goes on from there");
            }
        }
    })
}

/// One scheduled run, under the lock where there is one.
async fn run_once(db: &DatabaseConnection, policy: Policy) -> Result<(), DbErr> {
    let cutoff = policy.cutoff(Utc::now());
    if db.get_database_backend() != DbBackend::Postgres {
        return remove(db, cutoff).await.map(drop);
    }
    use sea_orm::sqlx;
    let to_db = |error: sqlx::Error| DbErr::Custom(error.to_string());
    // A session lock, held on a connection of its own while the batches run on the others.
    let mut holder = db.get_postgres_connection_pool().acquire().await.map_err(to_db)?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut *holder)
        .await
        .map_err(to_db)?;
    if !locked {
        tracing::info!("retention: another gateway is running it");
        return Ok(());
    }
    let removed = remove(db, cutoff).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY).execute(&mut *holder).await.map_err(to_db)?;
    removed.map(drop)
}

/// Removes the live feed's rows that name no activity left: those of finished PostgreSQL
/// transactions whose ids all lie below the log's smallest. (Ids only grow, so nothing can
/// appear there again; a row of a transaction still running is left for the next run.)
async fn prune_feed(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let sql = "DELETE FROM activity_feed WHERE xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
               AND last_id < COALESCE((SELECT MIN(id) FROM activity), 9223372036854775807)";
    Ok(db.execute_unprepared(sql).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(text: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap())
    }

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_cutoff_is_a_local_midnight_keep_days_before_today() {
        let utc_days = |keep_days| Policy { keep_days, zone: chrono_tz::UTC };
        assert_eq!(utc_days(90).cutoff(at("2026-12-03 19:35")), utc("2026-09-04 00:00"));
        assert_eq!(utc_days(1).cutoff(at("2026-12-03 00:00")), utc("2026-12-02 00:00"));
        // Leap day: 2024-03-01 minus one day.
        assert_eq!(utc_days(1).cutoff(at("2024-03-01 12:00")), utc("2024-02-29 00:00"));
        // East of UTC it is already the 4th in Tokyo, whose midnight is 15:00 UTC the day before.
        let tokyo = Policy { keep_days: 1, zone: chrono_tz::Asia::Tokyo };
        assert_eq!(tokyo.cutoff(at("2026-12-03 19:35")), utc("2026-12-02 15:00"));
        // West of UTC, still the 3rd in Los Angeles (UTC-8 in winter).
        let los_angeles = Policy { keep_days: 1, zone: chrono_tz::America::Los_Angeles };
        assert_eq!(los_angeles.cutoff(at("2026-12-04 03:00")), utc("2026-12-02 08:00"));
        // Across a DST change: the cutoff's midnight has its own offset (UTC-7 in summer).
        assert_eq!(Policy { keep_days: 40, ..los_angeles }.cutoff(at("2026-12-04 03:00")), utc("2026-10-24 07:00"));
        // Santiago skips 00:00 on its spring-forward day (2026-09-06): the day starts at 01:00.
        let santiago = Policy { keep_days: 1, zone: chrono_tz::America::Santiago };
        assert_eq!(santiago.cutoff(at("2026-09-07 12:00")), utc("2026-09-06 04:00"));
    }
}
