//! The activity list: one page of the activities in scope, newest first, with the total count.

use super::Snapshot;
use chrono::NaiveDateTime;
use sea_orm::{DbBackend, DbErr, FromQueryResult};

use super::Method;
use super::rollup::{self, Located};
use super::sql::Sql;
use crate::filter::{Field, FieldError, Filter};

/// A validated page request: `page` ≥ 1, 1 ≤ `size` ≤ 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub size: i64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { page: Self::DEFAULT_PAGE, size: Self::DEFAULT_SIZE }
    }
}

impl PageRequest {
    /// What an absent `page` means: the first.
    pub const DEFAULT_PAGE: i64 = 1;
    /// What an absent `size` means.
    pub const DEFAULT_SIZE: i64 = 50;
    pub const MAX_SIZE: i64 = 100;

    /// Applies the defaults and bounds, reporting both fields at once when both are wrong.
    pub fn parse(page: Option<i64>, size: Option<i64>) -> Result<Self, Vec<FieldError>> {
        let page = FieldError::check_range(Field::Page, page.unwrap_or(Self::DEFAULT_PAGE), 1, i64::MAX);
        let size = FieldError::check_range(Field::Size, size.unwrap_or(Self::DEFAULT_SIZE), 1, Self::MAX_SIZE);
        match (page, size) {
            (Ok(page), Ok(size)) => Ok(PageRequest { page, size }),
            (page, size) => Err(page.err().into_iter().chain(size.err()).collect()),
        }
    }

    /// Rows to skip; saturates for absurd page numbers, which then simply come back empty.
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }
}

/// One activity with its transaction and the transaction's user, read by the page's own statement.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct ActivityItem {
    pub id: i64,
    pub verb: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub transaction_id: i64,
    /// UTC.
    pub issued_at: NaiveDateTime,
    pub user_id: Option<i64>,
    /// The transaction's client address, as the application stored it.
    pub remote_addr: Option<String>,
    /// The activity's stored payload, as text (JSON on PostgreSQL, TEXT on SQLite).
    pub data: Option<String>,
    /// `issued_at` as the database orders it (on SQLite, the stored text itself): a cursor carries
    /// it back verbatim, so a seek lands exactly on ties however the writer formatted the time.
    pub issued_at_text: String,
    /// The transaction's user; `None` for the system's own actions and for deleted accounts.
    #[sea_orm(nested(prefix = "u_"))]
    pub user: Option<entity::users::Model>,
}

/// The columns of an [`ActivityItem`], over the scope's `a`, `t` and `u`. The users come with the
/// page (a primary-key look-up per row) rather than in a second statement: one round trip fewer.
pub(super) const ITEM_COLUMNS: &str = "SELECT a.id AS id, a.verb AS verb, a.object_type AS object_type, \
     a.object_id AS object_id, t.id AS transaction_id, t.issued_at AS issued_at, t.user_id AS user_id, \
     t.remote_addr AS remote_addr, CAST(a.data AS TEXT) AS data, CAST(t.issued_at AS TEXT) AS issued_at_text, \
     u.id AS u_id, u.name AS u_name, u.user_name AS u_user_name, u.email AS u_email, u.role AS u_role, \
     u.is_internal AS u_is_internal";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityPage {
    pub items: Vec<ActivityItem>,
    /// Activities on all pages; `None` when the caller did not ask for it.
    pub total: Option<i64>,
    pub page: i64,
    pub size: i64,
    /// `ceil(total / size)`, 0 when there is nothing; `None` with `total`.
    pub pages: Option<i64>,
}

/// Whether to count the activities on all pages: on a large window the count is most of the cost,
/// and a client scrolling through items may not want it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    Count,
    Skip,
}

#[derive(FromQueryResult)]
struct Count {
    total: i64,
}

/// From this many rows into the scope, a page is found by seeking through the rollups' counts
/// rather than by `OFFSET`, which steps over every skipped row.
const LOCATE_FROM_ROW: i64 = 1_000;

/// The page of activities in the filter's scope, ordered `issued_at` DESC then `activity.id` DESC.
/// The count (unless skipped) and the page run side by side; the count reads the rollups when
/// they can answer, and a deep page (or, on SQLite, any page under a `users` filter) is first
/// located through them ([`rollup::locate_row`], [`rollup::locate_page`]).
pub async fn list(db: &Snapshot, filter: &Filter, page: PageRequest, total: Total) -> Result<ActivityPage, DbErr> {
    list_using(db, filter, page, total, Method::Fastest).await
}

/// The activities in the filter's scope: from the rollups when they can answer, otherwise (or
/// when `method` says so) by `COUNT(*)` over the log.
pub(super) async fn count_using(db: &Snapshot, filter: &Filter, method: Method) -> Result<i64, DbErr> {
    if method == Method::Fastest && rollup::covers(filter) {
        return rollup::count(db, filter).await;
    }
    let mut count = Sql::new(db.get_database_backend());
    count.push("SELECT COUNT(*) AS total").push_scope(filter);
    Ok(Count::find_by_statement(count.into_statement()).one(db).await?.map_or(0, |row| row.total))
}

/// [`list`], computing its count and locating its page the way `method` says (tests compare the
/// paths).
pub async fn list_using(
    db: &Snapshot,
    filter: &Filter,
    page: PageRequest,
    total: Total,
    method: Method,
) -> Result<ActivityPage, DbErr> {
    let fast = method == Method::Fastest && rollup::covers(filter);
    let counted = async {
        match total {
            Total::Skip => Ok(None),
            Total::Count => count_using(db, filter, method).await.map(Some),
        }
    };
    let items = async {
        let skip = page.offset();
        // Under a `users` filter PostgreSQL walks `ix_transaction_issued_at_id` backwards and stops
        // after the page, but SQLite's planner takes the users' index and sorts all their rows in
        // the window: there the page is bounded first (docs/scale.md, "Reading a window", has both).
        let bound_first = db.get_database_backend() == DbBackend::Sqlite && !filter.users.is_empty();
        let located = if fast && bound_first {
            Some(rollup::locate_page(db, filter, skip, page.size).await?)
        } else if fast && skip >= LOCATE_FROM_ROW {
            Some(rollup::locate_row(db, filter, skip).await?)
        } else {
            None
        };
        match located {
            None => rows(db, filter, None, None, page.size, skip).await,
            Some(Located::At { from, before, skip_within }) => {
                rows(db, filter, from, Some(before), page.size, skip_within).await
            }
            Some(Located::PastEnd) => Ok(Vec::new()),
        }
    };
    let (total, items) = tokio::try_join!(counted, items)?;
    Ok(ActivityPage {
        items,
        total,
        page: page.page,
        size: page.size,
        pages: total.map(|total| pages(total, page.size)),
    })
}

/// `size` activities of the scope issued in `[from, before)` (each bound if given), newest first,
/// after skipping `skip`.
async fn rows(
    db: &Snapshot,
    filter: &Filter,
    from: Option<NaiveDateTime>,
    before: Option<NaiveDateTime>,
    size: i64,
    skip: i64,
) -> Result<Vec<ActivityItem>, DbErr> {
    let mut rows = Sql::new(db.get_database_backend());
    rows.push(ITEM_COLUMNS)
        // One bound per side, the tighter: SQLite's planner ranges an index over only one of them.
        .push_scope_between(
            filter,
            from.max(filter.utc_start()),
            match (before, filter.utc_end()) {
                (Some(before), Some(end)) => Some(before.min(end)),
                (before, end) => before.or(end),
            },
        );
    rows.push(" ORDER BY t.issued_at DESC, a.id DESC LIMIT ").bind(size).push(" OFFSET ").bind(skip);
    ActivityItem::find_by_statement(rows.into_statement()).all(db).await
}

fn pages(total: i64, size: i64) -> i64 {
    (total + size - 1) / size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up_and_are_zero_when_empty() {
        assert_eq!(pages(0, 50), 0);
        assert_eq!(pages(1, 50), 1);
        assert_eq!(pages(50, 50), 1);
        assert_eq!(pages(51, 50), 2);
        assert_eq!(pages(134, 20), 7);
    }

    #[test]
    fn page_and_size_are_bounded_and_both_reported() {
        assert_eq!(PageRequest::parse(None, None), Ok(PageRequest { page: 1, size: 50 }));
        assert_eq!(
            PageRequest::parse(Some(0), Some(500)),
            Err(vec![FieldError::below(Field::Page, 1), FieldError::above(Field::Size, 100)])
        );
        assert_eq!(PageRequest::parse(Some(1), Some(0)), Err(vec![FieldError::below(Field::Size, 1)]));
    }

    #[test]
    fn a_huge_page_number_does_not_overflow() {
        let page = PageRequest { page: i64::MAX, size: 100 };
        assert_eq!(page.offset(), i64::MAX);
    }
}
