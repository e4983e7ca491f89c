//! The live feed's order over the log, and reading the log in it.
//!
//! **Positions.** A feed delivers each activity at a [`FeedPosition`], oldest first, and only once
//! every activity before it in that order is committed, so resuming after the last position
//! received never skips a row.
//!
//! - On PostgreSQL ids are allocated before commit: a transaction can commit id 7 after another
//!   committed id 8. The `activity_feed` table (filled by a statement-level trigger, see the
//!   tenth migration) names the database transaction that wrote each id; the position is
//!   `(transaction id, activity id)`. A row is read only when its transaction is below the
//!   oldest one still running (`pg_snapshot_xmin`): every transaction there has finished, so
//!   nothing can still appear before the position read. Activities that were in the log before
//!   the feed existed are transaction 0.
//! - SQLite has one writer at a time, so ids are committed in order: the position is `(0, id)`.
//!
//! Cursors (base64url, versioned) carry the position, so they keep working across gateway
//! restarts and on any replica of the same database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult, Statement};

use super::ActivityItem;
use super::condition::{Columns, Internal, condition};
use super::list::ITEM_COLUMNS;
use super::sql::Sql;
use crate::filter::{Field, FieldError, Filter};

/// Where a row stands in the feed's order: its writer's transaction (0 on SQLite, and for rows
/// older than the feed), then its id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedPosition {
    xid: i64,
    id: i64,
}

/// Cursors are versioned, so their format can change without old ones being misread.
const CURSOR_VERSION: &str = "f1";

impl FeedPosition {
    /// Before every row.
    pub const START: FeedPosition = FeedPosition { xid: 0, id: 0 };

    /// The opaque cursor of this position.
    pub fn cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}|{}|{}", self.xid, self.id))
    }

    /// The position a cursor names, or an error naming `field`.
    pub fn parse(cursor: &str, field: Field) -> Result<Self, FieldError> {
        Self::from_cursor(cursor).ok_or_else(|| FieldError::rule(field, "not a cursor of the activity feed"))
    }

    fn from_cursor(cursor: &str) -> Option<Self> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?).ok()?;
        let mut parts = text.split('|');
        let (version, xid, id) = (parts.next()?, parts.next()?, parts.next()?);
        let position = FeedPosition { xid: xid.parse().ok()?, id: id.parse().ok()? };
        (version == CURSOR_VERSION && parts.next().is_none() && position.xid >= 0 && position.id >= 0)
            .then_some(position)
    }
}

/// One activity of the feed, at its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedItem {
    pub position: FeedPosition,
    pub item: ActivityItem,
}

impl FromQueryResult for FeedItem {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let item = ActivityItem::from_query_result(row, prefix)?;
        let xid = row.try_get(prefix, "feed_xid")?;
        Ok(FeedItem { position: FeedPosition { xid, id: item.id }, item })
    }
}

/// Whether `item` is in `filter`'s scope (users, actions, object types, internal users; a feed's
/// filter has no window): what the statements' condition says, for rows already read.
pub fn admits(filter: &Filter, item: &ActivityItem) -> bool {
    (filter.users.is_empty() || item.user_id.is_some_and(|id| filter.users.contains(&id)))
        && (filter.actions.is_empty() || filter.actions.contains(&item.verb))
        && (filter.object_types.is_empty() || filter.object_types.contains(&item.object_type))
        // An action whose user no longer exists is a user action, as in the statements.
        && (filter.include_internal || !item.user.as_ref().is_some_and(|user| user.is_internal))
}

/// The oldest transaction still running, as a number comparable with `activity_feed.xid`.
const WATERMARK: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// The rows after `after`, up to `through` if given, in the filter's scope (all rows without
/// one), oldest first, at most `limit`. Every row returned is final: nothing can later appear
/// before the last one. One statement.
pub async fn read(
    db: &DatabaseConnection,
    after: FeedPosition,
    through: Option<FeedPosition>,
    filter: Option<&Filter>,
    limit: i64,
) -> Result<Vec<FeedItem>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let scope = |sql: &mut Sql| {
        if let Some(filter) = filter {
            sql.push_condition(condition(filter, Columns::log(), Internal::Apply));
        }
    };
    let joins = " FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id \
                 LEFT JOIN users u ON u.id = t.user_id";
    if backend == DbBackend::Postgres {
        // The runs of ids below the watermark after `after`, in the primary key's order, and each
        // run's rows in id order, at most `limit` of each: no run is read further than the answer
        // needs, and PostgreSQL sorts only within a transaction's runs (an incremental sort on
        // `xid`), stopping at `limit`. The runs are not limited by count: a filter that matches
        // none of the rows of many runs must still look past them.
        sql.push("SELECT x.*, f.xid AS feed_xid FROM (SELECT xid, first_id, last_id FROM activity_feed WHERE xid < ")
            .push(WATERMARK)
            .push(" AND xid >= ")
            .bind(after.xid)
            .push(" AND (xid > ")
            .bind(after.xid)
            .push(" OR last_id > ")
            .bind(after.id)
            .push(")");
        if let Some(through) = through {
            sql.push(" AND (xid < ").bind(through.xid).push(" OR (xid = ").bind(through.xid);
            sql.push(" AND first_id <= ").bind(through.id).push("))");
        }
        sql.push(" ORDER BY xid, first_id) f CROSS JOIN LATERAL (");
        sql.push(ITEM_COLUMNS).push(joins).push(" WHERE a.id BETWEEN f.first_id AND f.last_id");
        sql.push(" AND (f.xid > ").bind(after.xid).push(" OR a.id > ").bind(after.id).push(")");
        if let Some(through) = through {
            sql.push(" AND (f.xid < ").bind(through.xid).push(" OR a.id <= ").bind(through.id).push(")");
        }
        scope(&mut sql);
        sql.push(" ORDER BY a.id LIMIT ").bind(limit).push(") x ORDER BY f.xid, x.id LIMIT ").bind(limit);
    } else {
        sql.push(ITEM_COLUMNS).push(", 0 AS feed_xid").push(joins).push(" WHERE a.id > ").bind(after.id);
        if let Some(through) = through {
            sql.push(" AND a.id <= ").bind(through.id);
        }
        scope(&mut sql);
        sql.push(" ORDER BY a.id LIMIT ").bind(limit);
    }
    FeedItem::find_by_statement(sql.into_statement()).all(db).await
}

#[derive(FromQueryResult)]
struct Head {
    xid: i64,
    id: i64,
}

/// The position of the newest row that is final now: a feed that starts "from now" starts here.
pub async fn head(db: &DatabaseConnection) -> Result<FeedPosition, DbErr> {
    let backend = db.get_database_backend();
    let text = if backend == DbBackend::Postgres {
        format!(
            "SELECT xid, last_id AS id FROM activity_feed WHERE xid < {WATERMARK} ORDER BY xid DESC, first_id DESC LIMIT 1"
        )
    } else {
        "SELECT 0 AS xid, COALESCE(MAX(id), 0) AS id FROM activity".to_owned()
    };
    let head = Head::find_by_statement(Statement::from_string(backend, text)).one(db).await?;
    Ok(head.map_or(FeedPosition::START, |head| FeedPosition { xid: head.xid, id: head.id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_others_are_refused() {
        let position = FeedPosition { xid: 7_654_321, id: 42 };
        assert_eq!(FeedPosition::parse(&position.cursor(), Field::After), Ok(position));
        for bad in ["", "x", &URL_SAFE_NO_PAD.encode("f1|1"), &URL_SAFE_NO_PAD.encode("f1|1|2|3")] {
            assert!(FeedPosition::parse(bad, Field::After).is_err(), "{bad}");
        }
        for bad in ["v1|1|2", "f1|-1|2", "f1|1|x"] {
            assert!(FeedPosition::parse(&URL_SAFE_NO_PAD.encode(bad), Field::After).is_err(), "{bad}");
        }
    }

    #[test]
    fn positions_order_by_transaction_then_id() {
        let older_transaction = FeedPosition { xid: 5, id: 900 };
        let newer_transaction = FeedPosition { xid: 6, id: 10 };
        assert!(older_transaction < newer_transaction);
        assert!(FeedPosition::START < FeedPosition { xid: 0, id: 1 });
    }
}
