//! Cursor pages (Relay connections) over the activity list: the same order as [`super::list`]
//! (`issued_at` descending, then the activity id descending), but each page is a keyset seek from
//! a position instead of an offset. A page deep into the log costs what the first one costs, and
//! rows written meanwhile never shift, repeat or skip the rows after a cursor.
//!
//! A cursor is opaque to clients: base64url of the position, `issued_at` exactly as the database
//! orders it (on SQLite the stored text, however the writer formatted it) and the activity id.

use super::Snapshot;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, NaiveDateTime};
use sea_orm::{DbBackend, DbErr, FromQueryResult};

use super::list::{ITEM_COLUMNS, count_using};
use super::sql::Sql;
use super::{ActivityItem, Method};
use crate::filter::{Field, FieldError, Filter};

/// A position in the list's order: the row's `issued_at` as the database orders it, and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    issued_at: String,
    id: i64,
}

/// Cursors are versioned, so their format can change without old ones being misread.
const CURSOR_VERSION: &str = "v1";

impl Position {
    pub fn of(item: &ActivityItem) -> Self {
        Position::at(&item.issued_at_text, item.id)
    }

    /// The position of the row `id` issued at `issued_at` (as the database orders it).
    pub(super) fn at(issued_at: &str, id: i64) -> Self {
        Position { issued_at: issued_at.to_owned(), id }
    }

    /// The opaque cursor of this position.
    pub fn cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}|{}|{}", self.id, self.issued_at))
    }

    /// The position a cursor names, if it is one of ours.
    fn from_cursor(cursor: &str) -> Option<Self> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?).ok()?;
        let mut parts = text.splitn(3, '|');
        let (version, id, issued_at) = (parts.next()?, parts.next()?, parts.next()?);
        // The instant must be one the log can hold: it goes back to the database as a bound value,
        // compared with `issued_at` (PostgreSQL refuses a year with a sign or five digits, SQLite
        // compares the text), and a clear error beats an empty page or a failed statement.
        let instant = NaiveDateTime::parse_from_str(issued_at, "%Y-%m-%d %H:%M:%S%.f").ok()?;
        if !(1..=9999).contains(&instant.year()) || !issued_at.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        (version == CURSOR_VERSION).then_some(Position { issued_at: issued_at.to_owned(), id: id.parse().ok()? })
    }
}

/// Which rows of the order a connection asks for: the first `n` (after a cursor), or the last `n`
/// (before a cursor), Relay's way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    /// Rows from the newest end (`first`) or from the oldest (`last`).
    from_end: bool,
    count: i64,
    after: Option<Position>,
    before: Option<Position>,
}

impl Slice {
    /// What an absent `first` and `last` mean: the first 50.
    pub const DEFAULT_COUNT: i64 = 50;
    pub const MAX_COUNT: i64 = 100;

    /// Checks Relay's arguments: `first` or `last` (not both) from 1 to 100, cursors of ours;
    /// every bad argument reported at once.
    pub fn parse(
        first: Option<i64>,
        after: Option<&str>,
        last: Option<i64>,
        before: Option<&str>,
    ) -> Result<Slice, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (from_end, count) = match (first, last) {
            (Some(_), Some(_)) => (false, Err(FieldError::rule(Field::Last, "give `first` or `last`, not both"))),
            (first, None) => {
                (false, FieldError::check_range(Field::First, first.unwrap_or(Self::DEFAULT_COUNT), 1, Self::MAX_COUNT))
            }
            (None, Some(last)) => (true, FieldError::check_range(Field::Last, last, 1, Self::MAX_COUNT)),
        };
        let count = count.map_err(|error| errors.push(error)).ok();
        let mut cursor = |field: Field, text: Option<&str>| {
            let text = text?;
            let position = Position::from_cursor(text);
            if position.is_none() {
                errors.push(FieldError::rule(field, "not a cursor of this list"));
            }
            position
        };
        let (after, before) = (cursor(Field::After, after), cursor(Field::Before, before));
        match count {
            Some(count) if errors.is_empty() => Ok(Slice { from_end, count, after, before }),
            _ => Err(errors),
        }
    }
}

/// One page of a connection, in the list's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionPage {
    pub items: Vec<ActivityItem>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// The slice's rows of the filter's scope, in the list's order.
pub async fn connection(db: &Snapshot, filter: &Filter, slice: &Slice) -> Result<ConnectionPage, DbErr> {
    // Newest first for `first`, oldest first for `last` (then turned around): either way a walk
    // of `ix_transaction_issued_at_id` from the cursor that stops after `count + 1` rows, the
    // extra one saying whether there is more.
    let newest_first = !slice.from_end;
    let limit = slice.count + 1;
    let mut items = seek(db, filter, slice.after.as_ref(), slice.before.as_ref(), newest_first, limit).await?;
    let more = items.len() > usize::try_from(slice.count).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(slice.count).unwrap_or(usize::MAX));
    if newest_first {
        let has_previous_page = beyond(db, filter, slice.after.as_ref(), true).await?;
        Ok(ConnectionPage { items, has_next_page: more, has_previous_page })
    } else {
        items.reverse();
        let has_next_page = beyond(db, filter, slice.before.as_ref(), false).await?;
        Ok(ConnectionPage { items, has_next_page, has_previous_page: more })
    }
}

/// Whether anything lies on the other side of the cursor a slice starts from: newer than `after`
/// for a newest-first slice, older than `before` for an oldest-first one.
async fn beyond(
    db: &Snapshot,
    filter: &Filter,
    position: Option<&Position>,
    newest_first: bool,
) -> Result<bool, DbErr> {
    let Some(position) = position else { return Ok(false) };
    let (after, before) = if newest_first { (None, Some(position)) } else { (Some(position), None) };
    Ok(!seek(db, filter, after, before, !newest_first, 1).await?.is_empty())
}

/// The number of activities in the filter's scope (the connection's `totalCount`).
pub async fn total_count(db: &Snapshot, filter: &Filter) -> Result<i64, DbErr> {
    count_using(db, filter, Method::Fastest).await
}

/// Up to `limit` rows of the scope strictly after `after` and before `before` in the list's order,
/// newest first or oldest first.
async fn seek(
    db: &Snapshot,
    filter: &Filter,
    after: Option<&Position>,
    before: Option<&Position>,
    newest_first: bool,
    limit: i64,
) -> Result<Vec<ActivityItem>, DbErr> {
    let bounds = Keyset { after, before, newest_first, limit, newest_id: None };
    keyset(db, ITEM_COLUMNS, filter, bounds).await
}

/// Where a keyset read starts and stops, in the list's order.
pub(super) struct Keyset<'a> {
    /// Rows strictly after this position, and strictly before that one.
    pub after: Option<&'a Position>,
    pub before: Option<&'a Position>,
    pub newest_first: bool,
    pub limit: i64,
    /// Only rows with an activity id of at most this.
    pub newest_id: Option<i64>,
}

/// The rows of the scope within `bounds`, as `columns` (a `SELECT` list over `a`, `t` and `u`)
/// select them.
pub(super) async fn keyset<T: FromQueryResult>(
    db: &Snapshot,
    columns: &str,
    filter: &Filter,
    bounds: Keyset<'_>,
) -> Result<Vec<T>, DbErr> {
    let Keyset { after, before, newest_first, limit, newest_id } = bounds;
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(columns).push_scope(filter);
    if let Some(newest_id) = newest_id {
        sql.push(" AND a.id <= ").bind(newest_id);
    }
    // After a position is older: an earlier instant, or the same one and a smaller id. The plain
    // bound on `issued_at` comes first so the index range starts at the cursor.
    if let Some(after) = after {
        sql.push(" AND t.issued_at <= ").bind_instant(&after.issued_at);
        sql.push(" AND (t.issued_at < ").bind_instant(&after.issued_at).push(" OR a.id < ").bind(after.id).push(")");
    }
    if let Some(before) = before {
        sql.push(" AND t.issued_at >= ").bind_instant(&before.issued_at);
        sql.push(" AND (t.issued_at > ").bind_instant(&before.issued_at).push(" OR a.id > ").bind(before.id).push(")");
    }
    let direction = if newest_first { "DESC" } else { "ASC" };
    sql.push(&format!(" ORDER BY t.issued_at {direction}, a.id {direction} LIMIT ")).bind(limit);
    T::find_by_statement(sql.into_statement()).all(db).await
}

impl Sql {
    /// Binds an `issued_at` as the database orders it: SQLite compares the stored text itself,
    /// PostgreSQL reads the text back into a timestamp.
    fn bind_instant(&mut self, text: &str) -> &mut Self {
        match self.dialect.0 {
            DbBackend::Postgres => self.push("CAST(").bind(text.to_owned()).push(" AS TIMESTAMP)"),
            _ => self.bind(text.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let position = Position { issued_at: "2026-06-03 23:59:59.500000".to_owned(), id: 10 };
        assert_eq!(Position::from_cursor(&position.cursor()), Some(position));
        for stranger in [
            "",
            "abc",
            &URL_SAFE_NO_PAD.encode("v2|10|2026-06-03 23:59:59"),
            &URL_SAFE_NO_PAD.encode("v1|x|2026-06-03 23:59:59"),
            // Instants chrono reads but the log cannot hold.
            &URL_SAFE_NO_PAD.encode("v1|10|-0001-06-03 23:59:59"),
            &URL_SAFE_NO_PAD.encode("v1|10|+10000-06-03 23:59:59"),
        ] {
            assert_eq!(Position::from_cursor(stranger), None, "{stranger}");
        }
        assert_eq!(Position::from_cursor(&URL_SAFE_NO_PAD.encode("v1|10|'; DROP TABLE activity")), None);
    }

    #[test]
    fn first_and_last_are_bounded_and_exclusive() {
        assert_eq!(Slice::parse(None, None, None, None).map(|s| (s.from_end, s.count)), Ok((false, 50)));
        assert_eq!(Slice::parse(None, None, Some(3), None).map(|s| (s.from_end, s.count)), Ok((true, 3)));
        let errors = |result: Result<Slice, Vec<FieldError>>| result.err().unwrap_or_default();
        assert_eq!(errors(Slice::parse(Some(0), None, None, None)), vec![FieldError::below(Field::First, 1)]);
        assert_eq!(errors(Slice::parse(None, None, Some(101), None)), vec![FieldError::above(Field::Last, 100)]);
        assert_eq!(errors(Slice::parse(Some(1), None, Some(1), None)).len(), 1);
        let both = errors(Slice::parse(Some(0), Some("nope"), None, Some("nope")));
        assert_eq!(both.iter().map(|e| e.field).collect::<Vec<_>>(), vec![Field::First, Field::After, Field::Before]);
    }

    mod properties {
        use chrono::DateTime;
        use proptest::prelude::*;

        use super::*;

        /// Cursors as a client may send them: noise, and positions of ours with any id and any
        /// instant chrono can write (signed years, five digits, odd fractions).
        fn cursor() -> impl Strategy<Value = String> {
            let instant = (-8_000_000_000_000i64..250_000_000_000i64, 0..1_000_000_000u32)
                .prop_filter_map("an instant", |(s, ns)| DateTime::from_timestamp(s, ns))
                .prop_map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string());
            let text = prop_oneof![instant, any::<String>()];
            let id = prop_oneof![any::<i64>().prop_map(|id| id.to_string()), "[0-9a-z-]{0,21}"];
            let version = prop::sample::select(vec!["v1", "v2", ""]);
            prop_oneof![
                3 => (version, id, text).prop_map(|(v, id, t)| URL_SAFE_NO_PAD.encode(format!("{v}|{id}|{t}"))),
                1 => any::<String>(),
                1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4_000))]

            /// Every argument set is a slice whose cursors hold positions the database can compare,
            /// or errors naming `first`, `after`, `last` or `before`.
            #[test]
            fn every_cursor_is_a_position_of_the_log_or_named_as_bad(
                first in prop::option::of(-5..200i64),
                after in prop::option::of(cursor()),
                last in prop::option::of(-5..200i64),
                before in prop::option::of(cursor()),
            ) {
                match Slice::parse(first, after.as_deref(), last, before.as_deref()) {
                    Ok(slice) => {
                        prop_assert!((1..=Slice::MAX_COUNT).contains(&slice.count));
                        for position in [slice.after, slice.before].into_iter().flatten() {
                            let instant = NaiveDateTime::parse_from_str(&position.issued_at, "%Y-%m-%d %H:%M:%S%.f");
                            prop_assert!(instant.is_ok_and(|t| (1..=9999).contains(&t.year())), "{:?}", position);
                            // A position of ours comes back as the same cursor.
                            prop_assert_eq!(Position::from_cursor(&position.cursor()), Some(position));
                        }
                    }
                    Err(errors) => {
                        prop_assert!(!errors.is_empty());
                        for error in errors {
                            let named = [Field::First, Field::After, Field::Last, Field::Before].contains(&error.field);
                            prop_assert!(named, "{:?}", error);
                        }
                    }
                }
            }
        }
    }
}
