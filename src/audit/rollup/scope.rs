//! The SQL that reads the rollups under the filter: which table, the ranges of a cover, and the
//! filter's conditions on rollup rows.

use crate::audit::Snapshot;
use audit_rollup::{Grain, Rollup};
use sea_orm::{DbErr, FromQueryResult};

use super::cover::{Range, SignedCover, Window, instant, signed_cover};
use crate::audit::condition::{Columns, Internal, condition};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// Which rollup a count over the filter's scope reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// `audit_rollup_total`: neither a `users` nor an `actions` filter.
    Total,
    /// `audit_rollup_time`: an `actions` filter, no `users` filter.
    Time,
    /// `audit_rollup_user` (or `audit_rollup_actor` without an `actions` filter), joined to
    /// `users` for `include_internal`.
    Users,
}

impl Source {
    pub(super) fn of(filter: &Filter) -> Self {
        if !filter.users.is_empty() {
            Source::Users
        } else if filter.actions.is_empty() {
            Source::Total
        } else {
            Source::Time
        }
    }

    pub(super) fn table(self, filter: &Filter) -> Rollup {
        match self {
            Source::Total => Rollup::Actions,
            Source::Time => Rollup::ActionsByVerb,
            Source::Users => user_table(filter),
        }
    }

    /// What follows `FROM table r`.
    pub(super) fn join(self) -> &'static str {
        match self {
            Source::Total | Source::Time => "",
            Source::Users => " LEFT JOIN users u ON u.id = r.user_id",
        }
    }

    /// Where the filter's fields are in the table's rows `r`.
    pub(super) fn columns(self) -> Columns {
        Columns::rollup(self == Source::Users)
    }

    /// 1 for a system action: stored in the tables of all users, looked up for the per-user ones.
    pub(super) fn is_system(self) -> &'static str {
        match self {
            Source::Total | Source::Time => "r.is_system",
            Source::Users => "CASE WHEN u.is_internal THEN 1 ELSE 0 END",
        }
    }
}

/// The per-user rollup for `filter`: the one without verbs is a fraction of the size.
pub(super) fn user_table(filter: &Filter) -> Rollup {
    if filter.actions.is_empty() { Rollup::UserActions } else { Rollup::UserActionsByVerb }
}

/// Whether the snapshot's state of the log has deltas the folding has not reached: a rollup read
/// adds them to the tables' rows only then. Looked up once per snapshot ([`pending_deltas`]) and
/// handed to every part of a statement that reads a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Deltas {
    Pending,
    AllFolded,
}

impl Sql {
    /// Writes the rows of `table` in `ranges` that `arm` selects, from every place they live: `arm`
    /// writes a whole `SELECT … FROM {source} r …` and is called for the compacted table (as
    /// [`Rollup::source`] gives its rows: a packed one unpacked), then
    /// (after `UNION ALL`) for the deltas the triggers appended since the last compaction, if there
    /// are any, and for the log itself where `ranges` holds buckets of a grain the table does not
    /// keep ([`Sql::log_rows`]). Callers sum the rows; a count is the same wherever it is kept.
    pub(super) fn push_rollup_rows(
        &mut self,
        table: Rollup,
        ranges: &[Range],
        filter: &Filter,
        deltas: Deltas,
        arm: impl Fn(&mut Sql, &str),
    ) -> Result<&mut Self, DbErr> {
        arm(self, &table.source(self.dialect.0));
        if deltas == Deltas::Pending {
            self.push(" UNION ALL ");
            let pending = self.pending_rows(table);
            arm(self, &pending);
        }
        let from_log: Vec<Range> = ranges.iter().filter(|range| !table.keeps(range.grain)).copied().collect();
        if !from_log.is_empty() {
            let rows = self.log_rows(table, &from_log, filter)?;
            self.push(" UNION ALL ");
            arm(self, &rows);
        }
        Ok(self)
    }

    /// The log's activities in `ranges` (of grains `table` does not keep) as rows of `table`: a
    /// parenthesised query with its columns, bucketed and counted as the table would have them,
    /// under the filter's `users` and `actions` (those rows would pass the same conditions in the
    /// table; they narrow what the log is asked for). The log is always current, so these rows
    /// have no pending part. One `SELECT` per grain, whose ranges are index range scans of
    /// `issued_at` (or, under a `users` filter, of those users' own rows): a year of local days
    /// asks for each day's moved span, not for the year.
    pub(super) fn log_rows(&mut self, table: Rollup, ranges: &[Range], filter: &Filter) -> Result<String, DbErr> {
        // Only per-user tables leave grains out (tested below), so the rows are
        // those with a user, and every dimension is a column of the log.
        let dimensions = table.dimensions();
        let mut selected = Vec::with_capacity(dimensions.len());
        for dimension in dimensions {
            let Some(column) = dimension.in_log() else {
                return Err(DbErr::Custom(format!("the log keeps no {} for {}", dimension.column(), table.name())));
            };
            selected.push(format!("{column} AS {}", dimension.column()));
        }
        // `GROUP BY 2, 3, …`: the bucket and the dimensions.
        let grouped: Vec<String> = (2..dimensions.len() + 3).map(|position| position.to_string()).collect();
        let mut grains: Vec<Grain> = ranges.iter().map(|range| range.grain).collect();
        grains.sort();
        grains.dedup();
        let mut by_grain = Vec::with_capacity(grains.len());
        for grain in grains {
            let mut spans = Vec::new();
            for range in ranges.iter().filter(|range| range.grain == grain) {
                spans.push((range.lo.map(instant).transpose()?, range.hi.map(instant).transpose()?));
            }
            by_grain.push((grain, spans));
        }
        Ok(self.fragment(|sql| {
            sql.push("(");
            for (i, (grain, spans)) in by_grain.into_iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                let bucket = audit_rollup::bucket_of(sql.dialect.0, "t.issued_at", grain);
                sql.push(&format!(
                    "SELECT {grain} AS grain, {bucket} AS bucket, {selected}, COUNT(*) AS n \
                     FROM activity a JOIN \"transaction\" t ON t.id = a.transaction_id \
                     WHERE t.user_id IS NOT NULL AND (",
                    grain = grain as i64,
                    selected = selected.join(", "),
                ));
                for (k, (from, to)) in spans.into_iter().enumerate() {
                    sql.push(if k == 0 { "(1 = 1" } else { " OR (1 = 1" }).push_bounds(from, to).push(")");
                }
                sql.push(")")
                    .push_condition(condition(filter, Columns::log(), Internal::Ignore))
                    .push(&format!(" GROUP BY {}", grouped.join(", ")));
            }
            sql.push(")");
        }))
    }

    /// The pending deltas as rows of `table`, from the statement's one bucketing of them (a CTE at
    /// its head).
    pub(super) fn pending_rows(&mut self, table: Rollup) -> String {
        let query = audit_rollup::pending_query(self.dialect.0);
        self.with(audit_rollup::PENDING_CTE, |sql| {
            sql.push(" AS (").push(&query).push(")");
        });
        table.pending()
    }

    /// Writes `(… OR …)` selecting the rows of `ranges` in the rollup aliased `r`.
    pub(super) fn push_ranges(&mut self, ranges: &[Range]) -> &mut Self {
        if ranges.is_empty() {
            return self.push("(1 = 0)");
        }
        self.push("(");
        for (i, range) in ranges.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push("(r.grain = ").bind(range.grain as i64);
            if let Some(lo) = range.lo {
                self.push(" AND r.bucket >= ").bind(lo);
            }
            if let Some(hi) = range.hi {
                self.push(" AND r.bucket < ").bind(hi);
            }
            self.push(")");
        }
        self.push(")")
    }

    /// Writes the ` AND …` conditions of the filter's `actions`, `users` and `include_internal` on
    /// rollup rows aliased `r` (with `u` joined for [`Source::Users`]). The entity table has the
    /// time table's columns, the per-user entity table the per-user tables'.
    pub(super) fn push_rollup_filters(&mut self, source: Source, filter: &Filter) -> &mut Self {
        self.push_condition(condition(filter, source.columns(), Internal::Apply))
    }

    /// Writes the ` AND …` conditions of the filter's `actions` and `users` on rollup rows aliased
    /// `r`: the scope before `include_internal`, which the actors' figures apply themselves.
    pub(super) fn push_actions_and_users(&mut self, source: Source, filter: &Filter) -> &mut Self {
        self.push_condition(condition(filter, source.columns(), Internal::Ignore))
    }

    /// Writes `n AS n FROM {table} r{join} WHERE (…)`: the rows of `cover` in the rollup `table`
    /// (or its pending deltas) aliased `r`, `n` negated for the rows `cover` subtracts. Callers
    /// write the columns before it and the filter's conditions after it.
    pub(super) fn push_cover_rows(&mut self, cover: &SignedCover, table: &str, join: &str) -> &mut Self {
        if cover.subtract.is_empty() {
            self.push("r.n");
        } else {
            self.push("CASE WHEN ").push_ranges(&cover.subtract).push(" THEN -r.n ELSE r.n END");
        }
        self.push(&format!(" AS n FROM {table} r{join} WHERE ")).push_ranges(&cover.all())
    }

    /// Writes ` FROM (…) r` over the rollup rows of `cover` in the filter's scope, as rows
    /// `r.grain, r.bucket, r.is_system, r.n` (`n` negative for the rows `cover` subtracts).
    pub(super) fn push_rollup_scope(
        &mut self,
        source: Source,
        filter: &Filter,
        cover: &SignedCover,
        deltas: Deltas,
    ) -> Result<&mut Self, DbErr> {
        self.push(" FROM (");
        self.push_rollup_rows(source.table(filter), &cover.all(), filter, deltas, |sql, table| {
            sql.push(&format!(
                "SELECT r.grain AS grain, r.bucket AS bucket, {is_system} AS is_system, ",
                is_system = source.is_system(),
            ))
            .push_cover_rows(cover, table, source.join())
            .push_rollup_filters(source, filter);
        })?;
        Ok(self.push(") r"))
    }
}

#[derive(FromQueryResult)]
struct Pending {
    pending: bool,
}

/// Whether a rollup read must add pending deltas. Reading them costs even when there are none
/// (PostgreSQL plans the union arms and runs every row through them; BENCHMARKS.md has what that
/// costs), so the snapshot looks once per request (a dashboard reads the rollups twice), and what
/// it saw holds for all its statements: if there were none, every delta of its state of the log is
/// already in the tables.
pub(super) async fn pending_deltas(db: &Snapshot) -> Result<Deltas, DbErr> {
    let backend = db.get_database_backend();
    let check = || async move {
        let statement = sea_orm::Statement::from_string(
            backend,
            format!("SELECT EXISTS (SELECT 1 FROM {}) AS pending", audit_rollup::DELTA),
        );
        Ok::<bool, DbErr>(Pending::find_by_statement(statement).one(db).await?.is_none_or(|row| row.pending))
    };
    let pending = db.pending_deltas(check).await?;
    Ok(if pending { Deltas::Pending } else { Deltas::AllFolded })
}

#[derive(FromQueryResult)]
struct Count {
    total: i64,
}

/// The number of activities in the filter's scope; the filter must be [`super::covers`]-able.
///
/// One statement, and no look for pending deltas first: a count over a window needs no buckets,
/// so the deltas are summed as they are, by `issued_at`, beside the rollup rows of the window's
/// cover (both parts of one statement see one state of the folding). This is what a list's `total`
/// costs, so it is the read that the look's round trip weighed on most. (Unless part of the cover
/// is counted from the log: a `users` and an `actions` filter on a window with ragged ends. The
/// log holds the deltas of those ranges already, so the deltas are read by bucket as elsewhere.)
pub async fn count(db: &Snapshot, filter: &Filter) -> Result<i64, DbErr> {
    let source = Source::of(filter);
    let cover = signed_cover(Window::of(filter));
    let table = source.table(filter);
    if cover.all().iter().any(|range| !table.keeps(range.grain)) {
        // Part of the window is counted from the log, which already holds the deltas there: the
        // deltas are read by bucket, beside the table's rows of the same ranges.
        let deltas = pending_deltas(db).await?;
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("SELECT CAST(COALESCE(SUM(r.n), 0) AS BIGINT) AS total")
            .push_rollup_scope(source, filter, &cover, deltas)?;
        return Ok(Count::find_by_statement(sql.into_statement()).one(db).await?.map_or(0, |row| row.total));
    }
    let mut sql = Sql::new(db.get_database_backend());
    // The deltas are summed below, as they are.
    sql.push("SELECT CAST(COALESCE((SELECT SUM(r.n)").push_rollup_scope(source, filter, &cover, Deltas::AllFolded)?;
    sql.push(&format!(
        "), 0) + COALESCE((SELECT SUM(d.delta) FROM {delta} d{join} WHERE 1 = 1",
        delta = audit_rollup::DELTA,
        join = if source == Source::Users { " LEFT JOIN users u ON u.id = d.user_id" } else { "" },
    ));
    if let Some(start) = filter.utc_start() {
        sql.push(" AND d.issued_at >= ").bind(start);
    }
    if let Some(end) = filter.utc_end() {
        sql.push(" AND d.issued_at < ").bind(end);
    }
    sql.push_condition(condition(filter, Columns::delta(source == Source::Users), Internal::Apply))
        .push("), 0) AS BIGINT) AS total");
    Ok(Count::find_by_statement(sql.into_statement()).one(db).await?.map_or(0, |row| row.total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Sql::log_rows`] counts a grain a table leaves out from the log's rows with a user, so
    /// only per-user tables may leave grains out: the tables of all users keep every grain a cover
    /// reads.
    #[test]
    fn only_per_user_tables_leave_grains_out() {
        for table in Rollup::ALL.into_iter().filter(|table| !table.per_user()) {
            for grain in [Grain::QuarterHour, Grain::Day, Grain::Month] {
                assert!(table.keeps(grain), "{} keeps no {grain:?}", table.name());
            }
        }
    }
}
