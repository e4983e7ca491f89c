//! Chart buckets: the insights window cut into local hours, days, weeks, months or quarters of the
//! caller's calendar, oldest first, the first and last clipped to the window, each with its user
//! and system actions. The buckets' UTC spans are calendar arithmetic (here, through
//! [`Filter::day_start_utc`], so zones' 23- and 25-hour days count right); the counting is one
//! grouped statement in the database: buckets of whole days sum the rollups' daily counts, hours
//! the rollups' hours or quarter hours, where the rollups can answer; otherwise each row of the
//! log finds its bucket among the spans.

use super::Snapshot;
use audit_rollup::QUARTER_HOUR;
use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use sea_orm::{DbErr, FromQueryResult as _};

use super::figures::BucketRow;
use super::sql::Sql;
use super::{Method, rollup};
use crate::filter::{Field, FieldError, Filter};

/// How long a bucket is, in the caller's calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    Week,
    Month,
    Quarter,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hour" => Some(Interval::Hour),
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            "quarter" => Some(Interval::Quarter),
            _ => None,
        }
    }
}

/// Hours only over windows of at most this many days (744 buckets).
pub const MAX_HOUR_DAYS: i64 = 31;

/// One bucket of the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's half-open span in UTC.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// The local dates it covers, inclusive.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub user_count: i64,
    pub system_count: i64,
}

/// The buckets of `filter`'s closed window, empty, or an error on `interval` for hours over a
/// window longer than [`MAX_HOUR_DAYS`].
pub fn buckets(filter: &Filter, interval: Interval, week_starts_on: Weekday) -> Result<Vec<Bucket>, FieldError> {
    let (Some(first), Some(last)) = (filter.first_day, filter.last_day) else { return Ok(Vec::new()) };
    let bucket = |first_day: NaiveDate, last_day: NaiveDate| Bucket {
        start: filter.day_start_utc(first_day),
        end: filter.day_end_utc(last_day),
        first_day,
        last_day,
        user_count: 0,
        system_count: 0,
    };
    if interval == Interval::Hour {
        if (last - first).num_days() + 1 > MAX_HOUR_DAYS {
            return Err(FieldError::rule(
                Field::Interval,
                format!("hours are charted for windows of at most {MAX_HOUR_DAYS} days"),
            ));
        }
        // Consecutive hours from each local midnight: a 23-hour day has 23, a 25-hour day 25.
        let mut hours = Vec::new();
        for day in first.iter_days().take_while(|day| *day <= last) {
            let (mut start, end) = (filter.day_start_utc(day), filter.day_end_utc(day));
            while start < end {
                let next = (start + TimeDelta::hours(1)).min(end);
                hours.push(Bucket { start, end: next, ..bucket(day, day) });
                start = next;
            }
        }
        return Ok(hours);
    }
    let mut buckets = Vec::new();
    let mut day = first;
    while day <= last {
        // The last day of the calendar period that holds `day`, clipped to the window.
        let period_end = match interval {
            Interval::Hour | Interval::Day => Some(day),
            Interval::Week => {
                let into_week = (7 + day.weekday().num_days_from_monday() - week_starts_on.num_days_from_monday()) % 7;
                day.checked_add_days(Days::new(u64::from(6 - into_week)))
            }
            Interval::Month => month_end(day, 1),
            Interval::Quarter => month_end(day, 3 - (day.month0() % 3)),
        };
        let last_day = period_end.map_or(last, |end| end.min(last));
        buckets.push(bucket(day, last_day));
        match last_day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(buckets)
}

/// The last day of the month `months - 1` after `day`'s.
fn month_end(day: NaiveDate, months: u32) -> Option<NaiveDate> {
    day.with_day(1)?.checked_add_months(Months::new(months))?.pred_opt()
}

/// Counts the actions in scope per bucket (buckets without actions stay at zero).
pub async fn chart(db: &Snapshot, filter: &Filter, buckets: Vec<Bucket>) -> Result<Vec<Bucket>, DbErr> {
    chart_using(db, filter, buckets, Method::Fastest).await
}

/// [`chart`], counted the way `method` says (tests compare the paths): buckets of whole days from
/// the rollups when they can answer, hours and everything else from the log.
pub async fn chart_using(
    db: &Snapshot,
    filter: &Filter,
    mut buckets: Vec<Bucket>,
    method: Method,
) -> Result<Vec<Bucket>, DbErr> {
    if buckets.is_empty() {
        return Ok(buckets);
    }
    let whole_days = buckets.iter().all(|bucket| bucket.start == filter.day_start_utc(bucket.first_day));
    let rows = if method == Method::Fastest && rollup::covers_days(filter) && whole_days && filter.first_day.is_some() {
        // Day `k` of the window belongs to the bucket holding its date.
        let mut bucket_of_day = Vec::new();
        for (b, bucket) in buckets.iter().enumerate() {
            let b = i64::try_from(b).map_err(|_| DbErr::Custom("too many buckets".into()))?;
            let days = (bucket.last_day - bucket.first_day).num_days() + 1;
            bucket_of_day.extend(std::iter::repeat_n(b, usize::try_from(days).unwrap_or(0)));
        }
        rollup::chart::day_buckets(db, filter, &bucket_of_day).await?
    } else if let Some(spans) = quarter_hour_spans(&buckets)
        && method == Method::Fastest
        && rollup::covers(filter)
    {
        rollup::chart::span_buckets(db, filter, &spans).await?
    } else {
        plain(db, filter, &buckets).await?
    };
    for row in rows {
        let bucket = usize::try_from(row.bucket)
            .ok()
            .and_then(|k| buckets.get_mut(k))
            .ok_or_else(|| DbErr::Custom(format!("bucket {} outside the chart", row.bucket)))?;
        bucket.system_count = row.system_actions;
        bucket.user_count = row.actions - row.system_actions;
    }
    Ok(buckets)
}

/// The buckets' spans in seconds since the epoch, if they all start and end on quarter hours
/// (the rollups' finest grain).
fn quarter_hour_spans(buckets: &[Bucket]) -> Option<Vec<(i64, i64)>> {
    let seconds = |at: NaiveDateTime| at.and_utc().timestamp();
    let on_quarter_hour = |at: NaiveDateTime| seconds(at).rem_euclid(QUARTER_HOUR) == 0;
    buckets
        .iter()
        .map(|bucket| {
            (on_quarter_hour(bucket.start) && on_quarter_hour(bucket.end))
                .then(|| (seconds(bucket.start), seconds(bucket.end)))
        })
        .collect()
}

/// The counts per bucket from the log: each row finds its bucket among the spans.
async fn plain(db: &Snapshot, filter: &Filter, buckets: &[Bucket]) -> Result<Vec<BucketRow>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let spans: Vec<_> = buckets.iter().map(|bucket| (bucket.start, bucket.end)).collect();
    sql.with_spans("buckets", &spans)
        .push(
            "SELECT b.k AS bucket, COUNT(*) AS actions, \
         CAST(COALESCE(SUM(CASE WHEN u.is_internal THEN 1 ELSE 0 END), 0) AS BIGINT) AS system_actions",
        )
        .push_scope_joined(filter, " JOIN buckets b ON t.issued_at >= b.lo AND t.issued_at < b.hi")
        .push(" GROUP BY b.k");
    BucketRow::find_by_statement(sql.into_statement()).all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{FilterInput, Purpose, parse_date};

    fn window(first: &str, last: &str) -> Filter {
        let date = |text: &str| parse_date(text).expect("date");
        let input = FilterInput { start_date: Some(date(first)), end_date: Some(date(last)), ..Default::default() };
        Filter::parse(input, Purpose::Insights, chrono::Utc::now()).expect("filter")
    }

    fn spans(buckets: &[Bucket]) -> Vec<String> {
        buckets.iter().map(|b| format!("{}..{}", b.first_day, b.last_day)).collect()
    }

    #[test]
    fn weeks_start_on_the_chosen_day_and_are_clipped_to_the_window() {
        // 2026-06-04 is a Thursday.
        let filter = window("2026-06-04", "2026-06-17");
        let monday = buckets(&filter, Interval::Week, Weekday::Mon).expect("buckets");
        assert_eq!(spans(&monday), ["2026-06-04..2026-06-07", "2026-06-08..2026-06-14", "2026-06-15..2026-06-17"]);
        let thursday = buckets(&filter, Interval::Week, Weekday::Thu).expect("buckets");
        assert_eq!(spans(&thursday), ["2026-06-04..2026-06-10", "2026-06-11..2026-06-17"]);
        let sunday = buckets(&filter, Interval::Week, Weekday::Sun).expect("buckets");
        assert_eq!(spans(&sunday), ["2026-06-04..2026-06-06", "2026-06-07..2026-06-13", "2026-06-14..2026-06-17"]);
    }

    #[test]
    fn months_and_quarters_follow_the_calendar_including_leap_days() {
        let filter = window("2024-01-15", "2024-07-02");
        let months = buckets(&filter, Interval::Month, Weekday::Mon).expect("buckets");
        assert_eq!(spans(&months)[..3], ["2024-01-15..2024-01-31", "2024-02-01..2024-02-29", "2024-03-01..2024-03-31"]);
        assert_eq!(spans(&months).last().map(String::as_str), Some("2024-07-01..2024-07-02"));
        let quarters = buckets(&filter, Interval::Quarter, Weekday::Mon).expect("buckets");
        assert_eq!(spans(&quarters), ["2024-01-15..2024-03-31", "2024-04-01..2024-06-30", "2024-07-01..2024-07-02"]);
        // The spans tile the window: each ends where the next starts.
        assert!(quarters.windows(2).all(|pair| pair[0].end == pair[1].start));
    }

    #[test]
    fn hours_are_for_short_windows() {
        let day = buckets(&window("2026-06-04", "2026-06-04"), Interval::Hour, Weekday::Mon).expect("buckets");
        assert_eq!(day.len(), 24);
        let error = buckets(&window("2026-06-01", "2026-07-02"), Interval::Hour, Weekday::Mon).err();
        assert_eq!(error.map(|e| e.field), Some(Field::Interval));
    }
}
