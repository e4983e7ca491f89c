//! Deep pages: where the row `skip` rows into the scope is, located by walking the rollups'
//! counts instead of stepping over every skipped row.

use crate::audit::Snapshot;
use audit_rollup::Grain;
use chrono::NaiveDateTime;
use sea_orm::{DbErr, FromQueryResult};

use super::cover::{Range, SignedCover, Window, bucket_end, cover, instant};
use super::scope::{Source, pending_deltas};
use crate::audit::sql::Sql;
use crate::filter::Filter;

/// Where a page starting `skip` rows into the scope (newest first) is: the `skip`-th row is the
/// row `skip_within` rows into the scope's rows issued before `before`, and (when `from` is known)
/// the page ends at or after `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Located {
    At { from: Option<NaiveDateTime>, before: NaiveDateTime, skip_within: i64 },
    PastEnd,
}

#[derive(FromQueryResult)]
struct Segment {
    grain: i64,
    bucket: i64,
    n: i64,
}

/// The non-empty buckets of `ranges` in the filter's scope with their counts, newest first.
async fn segments(db: &Snapshot, filter: &Filter, ranges: &[Range]) -> Result<Vec<Segment>, DbErr> {
    let deltas = pending_deltas(db).await?;
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT CAST(r.grain AS BIGINT) AS grain, r.bucket AS bucket, CAST(SUM(r.n) AS BIGINT) AS n")
        .push_rollup_scope(Source::of(filter), filter, &SignedCover::of(ranges.to_vec()), deltas)?
        .push(" GROUP BY r.grain, r.bucket HAVING SUM(r.n) > 0 ORDER BY r.bucket DESC");
    Segment::find_by_statement(sql.into_statement()).all(db).await
}

fn grain_of(segment: &Segment) -> Result<Grain, DbErr> {
    // Covers hold quarter hours, days and months only.
    match segment.grain {
        0 => Ok(Grain::QuarterHour),
        1 => Ok(Grain::Day),
        2 => Ok(Grain::Month),
        other => Err(DbErr::Custom(format!("unexpected rollup grain {other} while locating a row"))),
    }
}

/// The end of `segment`'s bucket, within the window.
fn segment_end(segment: &Segment, window: Window) -> Result<i64, DbErr> {
    let end = bucket_end(grain_of(segment)?, segment.bucket)
        .ok_or_else(|| DbErr::Custom(format!("rollup bucket {} out of range", segment.bucket)))?;
    Ok(window.end.map_or(end, |window_end| window_end.min(end)))
}

/// The span holding rows `skip .. skip + size` of the scope, newest first: the months, then the
/// days, holding the page's first and last rows, found by walking the rollup counts (two small
/// statements for a page inside one month). Bounding the page query by it on both sides means a
/// planner reads a day or two of rows, whichever index it picks.
pub async fn locate_page(db: &Snapshot, filter: &Filter, skip: i64, size: i64) -> Result<Located, DbErr> {
    let window = Window::of(filter);
    let mut ranges = cover(window, Grain::Month);
    let mut skip = skip;
    loop {
        let segments = segments(db, filter, &ranges).await?;
        let (mut seen, mut before_first) = (0, 0);
        let (mut first, mut last) = (None, None);
        for segment in &segments {
            if first.is_none() && seen + segment.n > skip {
                first = Some(segment);
                before_first = seen;
            }
            seen += segment.n;
            if first.is_some() && seen >= skip + size {
                last = Some(segment);
                break;
            }
        }
        let Some(first) = first else { return Ok(Located::PastEnd) };
        let end = segment_end(first, window)?;
        let within = skip - before_first;
        let same = last.is_some_and(|last| last.bucket == first.bucket);
        if same && grain_of(first)? == Grain::Month {
            // The whole page is in one month: look at its days.
            let start = window.start.map_or(first.bucket, |window_start| window_start.max(first.bucket));
            ranges = cover(Window { start: Some(start), end: Some(end) }, Grain::Day);
            skip = within;
            continue;
        }
        // `last` is `None` when the page runs to the oldest row.
        let from = last.map(|last| instant(last.bucket)).transpose()?;
        return Ok(Located::At { from, before: instant(end)?, skip_within: within });
    }
}

/// Finds the quarter hour holding the `skip`-th row of the scope by walking the rollups' counts
/// newest first, from months down to days down to quarter hours: at most three small statements
/// instead of stepping over `skip` rows.
pub async fn locate_row(db: &Snapshot, filter: &Filter, skip: i64) -> Result<Located, DbErr> {
    let window = Window::of(filter);
    let mut ranges = cover(window, Grain::Month);
    let mut skip = skip;
    loop {
        let segments = segments(db, filter, &ranges).await?;
        let Some(segment) = segments.into_iter().find(|segment| {
            let inside = segment.n > skip;
            if !inside {
                skip -= segment.n;
            }
            inside
        }) else {
            return Ok(Located::PastEnd);
        };
        let grain = grain_of(&segment)?;
        let end = segment_end(&segment, window)?;
        if grain == Grain::QuarterHour {
            return Ok(Located::At { from: None, before: instant(end)?, skip_within: skip });
        }
        let start = window.start.map_or(segment.bucket, |window_start| window_start.max(segment.bucket));
        let finer = if grain == Grain::Month { Grain::Day } else { Grain::QuarterHour };
        ranges = cover(Window { start: Some(start), end: Some(end) }, finer);
    }
}
