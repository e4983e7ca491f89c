//! The shared filter: validated once, when raw input from either face becomes a [`Filter`], so no
//! later code can see an invalid window.
//!
//! Window arithmetic (docs/behaviour.md, section 2) lives here and only here:
//! - `offset` has the sign of JavaScript's `getTimezoneOffset()`: local time = UTC − offset, so
//!   the local day D covers UTC `[D 00:00 + offset, D+1 00:00 + offset)`: at a fixed offset every
//!   local day is exactly 24 hours long in UTC.
//! - `time_zone` names an IANA zone instead: the day D runs from D's first instant in the zone to
//!   D+1's, so it may be 23 or 25 hours long, or (a skipped date) of no length at all.
//! - A timeframe ends on the end date E (default: today in the caller's calendar) and starts the
//!   day after E minus one week / 1, 3 or 12 calendar months, clamping to the month's last day.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, LocalResult, Months, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

/// The fields of the filter (and of paging), as the faces name them in their errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Users,
    Actions,
    ObjectTypes,
    StartDate,
    EndDate,
    Timeframe,
    Offset,
    TimeZone,
    IncludeInternal,
    Page,
    Size,
    /// Cursor pages: how many from the start, after which cursor, how many from the end, before
    /// which cursor.
    First,
    After,
    Last,
    Before,
    /// Entries per facet.
    Limit,
    /// An export's format.
    Format,
    /// The chart's buckets, and the day weeks start on.
    Interval,
    WeekStartsOn,
    /// The event stream's `Last-Event-ID` header (where a reconnecting client resumes).
    LastEventId,
}

impl Field {
    /// The names the faces give the field: REST's query string (`start_date`) and GraphQL's
    /// `ActivityFilter` and arguments (`startDate`).
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Field::Users => ("users", "users"),
            Field::Actions => ("actions", "actions"),
            Field::ObjectTypes => ("object_types", "objectTypes"),
            Field::StartDate => ("start_date", "startDate"),
            Field::EndDate => ("end_date", "endDate"),
            Field::Timeframe => ("timeframe", "timeframe"),
            Field::Offset => ("offset", "offset"),
            Field::TimeZone => ("time_zone", "timeZone"),
            Field::IncludeInternal => ("include_internal", "includeInternal"),
            Field::Page => ("page", "page"),
            Field::Size => ("size", "size"),
            Field::First => ("first", "first"),
            Field::After => ("after", "after"),
            Field::Last => ("last", "last"),
            Field::Before => ("before", "before"),
            Field::Limit => ("limit", "limit"),
            Field::Format => ("format", "format"),
            Field::Interval => ("interval", "interval"),
            Field::WeekStartsOn => ("week_starts_on", "weekStartsOn"),
            Field::LastEventId => ("last-event-id", "lastEventId"),
        }
    }

    /// Where a REST request carries the field, as pydantic's `loc` names it: `query`, or `header`.
    pub fn rest_location(self) -> &'static str {
        if self == Field::LastEventId { "header" } else { "query" }
    }

    /// The name REST's query string gives the field (`start_date`).
    pub fn rest_name(self) -> &'static str {
        self.names().0
    }

    /// The name GraphQL gives the field (`startDate`).
    pub fn graphql_name(self) -> &'static str {
        self.names().1
    }
}

/// One bad parameter, worded like pydantic v1 so existing clients of the Audit API keep working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub msg: String,
    /// pydantic's error `type`, e.g. `type_error.integer`.
    pub kind: &'static str,
    /// `ctx.limit_value` of bound errors.
    pub limit: Option<i64>,
}

/// Both parse results, or every error of either, in order: one answer lists every bad field.
pub fn both_parsed<A, B>(
    a: Result<A, Vec<FieldError>>,
    b: Result<B, Vec<FieldError>>,
) -> Result<(A, B), Vec<FieldError>> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(a.err().into_iter().flatten().chain(b.err().into_iter().flatten()).collect()),
    }
}

impl FieldError {
    fn new(field: Field, msg: impl Into<String>, kind: &'static str) -> Self {
        FieldError { field, msg: msg.into(), kind, limit: None }
    }
    pub fn not_an_integer(field: Field) -> Self {
        Self::new(field, "value is not a valid integer", "type_error.integer")
    }
    pub fn not_a_date(field: Field) -> Self {
        Self::new(field, "invalid date format", "value_error.date")
    }
    pub fn not_a_bool(field: Field) -> Self {
        Self::new(field, "value could not be parsed to a boolean", "type_error.bool")
    }
    /// pydantic's enumeration error, listing what is `permitted` (quoted, comma-separated).
    pub fn not_one_of(field: Field, permitted: &str) -> Self {
        Self::new(field, format!("value is not a valid enumeration member; permitted: {permitted}"), "type_error.enum")
    }
    pub fn not_a_time_zone(field: Field) -> Self {
        Self::new(field, "unknown time zone", "value_error")
    }
    pub fn not_a_timeframe(field: Field) -> Self {
        Self::not_one_of(field, "'week', 'month', 'quarter', 'year'")
    }
    pub fn below(field: Field, limit: i64) -> Self {
        FieldError {
            limit: Some(limit),
            ..Self::new(
                field,
                format!("ensure this value is greater than or equal to {limit}"),
                "value_error.number.not_ge",
            )
        }
    }
    pub fn above(field: Field, limit: i64) -> Self {
        FieldError {
            limit: Some(limit),
            ..Self::new(
                field,
                format!("ensure this value is less than or equal to {limit}"),
                "value_error.number.not_le",
            )
        }
    }
    pub fn too_many_items(field: Field, limit: usize) -> Self {
        FieldError {
            limit: Some(limit as i64),
            ..Self::new(field, format!("ensure this value has at most {limit} items"), "value_error.list.max_items")
        }
    }
    /// pydantic's wording for a string longer than the column that stores it.
    pub fn too_long(field: Field, limit: usize) -> Self {
        FieldError {
            limit: Some(limit as i64),
            ..Self::new(
                field,
                format!("ensure this value has at most {limit} characters"),
                "value_error.any_str.max_length",
            )
        }
    }
    /// Text no database column can hold (PostgreSQL refuses the byte in any string).
    pub fn nul_character(field: Field) -> Self {
        Self::new(field, "value must not contain a NUL character", "value_error.str.nul")
    }
    /// A query-string value whose bytes are not UTF-8.
    pub fn not_utf8(field: Field) -> Self {
        Self::new(field, "value is not valid UTF-8", "type_error.str")
    }
    /// A rule across fields, reported on the later one.
    pub fn rule(field: Field, msg: impl Into<String>) -> Self {
        Self::new(field, msg, "value_error")
    }

    /// Checks `low <= value <= high`, the way pydantic's `ge`/`le` do.
    pub fn check_range(field: Field, value: i64, low: i64, high: i64) -> Result<i64, FieldError> {
        if value < low {
            Err(Self::below(field, low))
        } else if value > high {
            Err(Self::above(field, high))
        } else {
            Ok(value)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeframe {
    Week,
    Month,
    Quarter,
    Year,
}

impl Timeframe {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "week" => Some(Timeframe::Week),
            "month" => Some(Timeframe::Month),
            "quarter" => Some(Timeframe::Quarter),
            "year" => Some(Timeframe::Year),
            _ => None,
        }
    }

    /// The first local date of the window that ends on `end` (inclusive); `None` only for dates
    /// far outside what [`Filter::parse`] accepts.
    pub fn first_day(self, end: NaiveDate) -> Option<NaiveDate> {
        let months = match self {
            Timeframe::Week => return end.checked_sub_days(Days::new(6)),
            Timeframe::Month => 1,
            Timeframe::Quarter => 3,
            Timeframe::Year => 12,
        };
        // chrono clamps to the month's last day: 03-30 minus a month is 02-28, so the window
        // starts on 03-01.
        end.checked_sub_months(Months::new(months))?.checked_add_days(Days::new(1))
    }
}

/// Parses a calendar date written exactly `YYYY-MM-DD` (years 0001–9999), rejecting dates that
/// do not exist such as 2026-02-30.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    if !bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Text the database can compare with a `VARCHAR(255)` column: no NUL (PostgreSQL refuses the byte
/// in any string, and SQLite's C strings end there) and at most [`MAX_TEXT_CHARS`] characters.
fn check_text(field: Field, value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        Err(FieldError::nul_character(field))
    } else if value.chars().count() > MAX_TEXT_CHARS {
        Err(FieldError::too_long(field, MAX_TEXT_CHARS))
    } else {
        Ok(())
    }
}

/// Stored timestamps are compared as text on SQLite, which needs four-digit years at both ends of
/// a window even after the offset moves it by up to 14 hours.
fn supported(day: NaiveDate) -> bool {
    (2..=9998).contains(&day.year())
}

/// Allowed offsets in minutes: UTC−14:00 to UTC+14:00.
pub const MAX_OFFSET_MINUTES: i64 = 840;
/// Longest list accepted for `users`, `actions` or `object_types`.
pub const MAX_LIST_ITEMS: usize = 1000;
/// Longest `actions` or `object_types` value, in characters: the columns they are compared with
/// hold at most this many, so a longer value can match nothing.
pub const MAX_TEXT_CHARS: usize = 255;
/// Longest explicit insights range, in days (ten years).
pub const MAX_INSIGHTS_DAYS: i64 = 3660;

/// The filter as either face received it, already typed but not yet checked against the rules.
/// A field whose value did not parse (a date that is not `YYYY-MM-DD`, a word where a number
/// belongs) is absent, and its error is in `unparsed`, so that one [`Filter::parse`] reports every
/// bad field at once.
#[derive(Clone, Debug, Default)]
pub struct FilterInput {
    pub users: Vec<i64>,
    pub actions: Vec<String>,
    pub object_types: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub timeframe: Option<Timeframe>,
    pub offset: Option<i64>,
    /// An IANA zone (`Europe/Berlin`), instead of a fixed offset.
    pub time_zone: Option<Tz>,
    pub include_internal: Option<bool>,
    /// The errors of the fields that did not parse.
    pub unparsed: Vec<FieldError>,
}

/// Which operation the filter is for: they differ only in their defaults (docs/behaviour.md, sections 3 and 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The activity list: no timeframe and no dates means all time.
    List,
    /// Insights: the window is always closed, a month ending today unless said otherwise.
    Insights,
    /// The live feed: it has no end, so it takes no window (dates or a timeframe are refused).
    Feed,
}

/// A validated filter: the non-time criteria plus an inclusive range of local dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Transaction user ids; empty means "any user".
    pub users: Vec<i64>,
    /// Verbs; empty means "any verb".
    pub actions: Vec<String>,
    /// Object types (`Datastore`, …); empty means "any type".
    pub object_types: Vec<String>,
    /// When false, actions of internal users are out of scope (actions without a user stay).
    pub include_internal: bool,
    /// Minutes, `getTimezoneOffset()` sign: local = UTC − offset. 0 when `time_zone` is given.
    pub offset_minutes: i64,
    /// An IANA zone: local days start at its midnights (23, 24 or 25 hours apart, and so on),
    /// instead of every 24 hours at the fixed offset.
    pub time_zone: Option<Tz>,
    /// First local date in the window, inclusive; `None` is open.
    pub first_day: Option<NaiveDate>,
    /// Last local date in the window, inclusive; `None` is open.
    pub last_day: Option<NaiveDate>,
}

impl Filter {
    /// What an absent `include_internal` means.
    pub const DEFAULT_INCLUDE_INTERNAL: bool = true;
    /// What an absent `offset` means: UTC.
    pub const DEFAULT_OFFSET_MINUTES: i64 = 0;

    /// Checks `input` against every rule of docs/behaviour.md, section 2, reporting all bad fields at once:
    /// those that did not parse first, then the rules, leaving out the rules across fields that
    /// involve one that did not parse (its own error says what is wrong).
    pub fn parse(input: FilterInput, purpose: Purpose, now: DateTime<Utc>) -> Result<Filter, Vec<FieldError>> {
        let window_unparsed = input
            .unparsed
            .iter()
            .any(|error| matches!(error.field, Field::Timeframe | Field::StartDate | Field::EndDate));
        let mut errors = input.unparsed;
        if purpose == Purpose::Feed {
            let window = [
                (Field::StartDate, input.start_date.is_some()),
                (Field::EndDate, input.end_date.is_some()),
                (Field::Timeframe, input.timeframe.is_some()),
            ];
            for (field, _) in window.into_iter().filter(|(_, given)| *given) {
                errors.push(FieldError::rule(field, "a live feed has no window: it follows the log from a position"));
            }
        }
        if input.users.len() > MAX_LIST_ITEMS {
            errors.push(FieldError::too_many_items(Field::Users, MAX_LIST_ITEMS));
        }
        if input.actions.len() > MAX_LIST_ITEMS {
            errors.push(FieldError::too_many_items(Field::Actions, MAX_LIST_ITEMS));
        }
        if input.object_types.len() > MAX_LIST_ITEMS {
            errors.push(FieldError::too_many_items(Field::ObjectTypes, MAX_LIST_ITEMS));
        }
        for (field, values) in [(Field::Actions, &input.actions), (Field::ObjectTypes, &input.object_types)] {
            errors.extend(values.iter().find_map(|value| check_text(field, value).err()));
        }
        let offset_minutes = input.offset.unwrap_or(Self::DEFAULT_OFFSET_MINUTES);
        if let Err(error) =
            FieldError::check_range(Field::Offset, offset_minutes, -MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES)
        {
            errors.push(error);
        }

        if input.time_zone.is_some() && offset_minutes != 0 {
            errors.push(FieldError::rule(Field::TimeZone, "a time zone cannot be combined with a non-zero offset"));
        }
        let calendar = Calendar {
            offset_minutes: offset_minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES),
            time_zone: input.time_zone,
        };

        let mut window_errors = Vec::new();
        let today = calendar.today(now);
        let (first_day, last_day) = match (input.timeframe, input.start_date) {
            (Some(_), Some(_)) => {
                window_errors
                    .push(FieldError::rule(Field::Timeframe, "a timeframe cannot be combined with a start date"));
                (None, None)
            }
            (Some(timeframe), None) => {
                let end = input.end_date.unwrap_or(today);
                (timeframe.first_day(end), Some(end))
            }
            (None, start) => match purpose {
                Purpose::List | Purpose::Feed => (start, input.end_date),
                Purpose::Insights => {
                    let end = input.end_date.unwrap_or(today);
                    match start {
                        Some(start) => (Some(start), Some(end)),
                        None => (Timeframe::Month.first_day(end), Some(end)),
                    }
                }
            },
        };
        if first_day.is_some_and(|day| !supported(day)) {
            window_errors.push(FieldError::rule(Field::StartDate, "dates must fall within the years 2 to 9998"));
        }
        if last_day.is_some_and(|day| !supported(day)) {
            window_errors.push(FieldError::rule(Field::EndDate, "dates must fall within the years 2 to 9998"));
        }
        if let (Some(first), Some(last)) = (first_day, last_day) {
            if first > last {
                window_errors.push(FieldError::rule(Field::EndDate, "the end date must not be before the start date"));
            } else if purpose == Purpose::Insights && (last - first).num_days() + 1 > MAX_INSIGHTS_DAYS {
                window_errors.push(FieldError::rule(
                    Field::EndDate,
                    format!("the range may span at most {MAX_INSIGHTS_DAYS} days"),
                ));
            }
        }
        if !window_unparsed {
            errors.extend(window_errors);
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            users: input.users,
            actions: input.actions,
            object_types: input.object_types,
            include_internal: input.include_internal.unwrap_or(Self::DEFAULT_INCLUDE_INTERNAL),
            offset_minutes,
            time_zone: input.time_zone,
            first_day,
            last_day,
        })
    }

    /// The UTC instant `utc` as a local time in the filter's zone, or at its offset.
    pub fn local_time(&self, utc: NaiveDateTime) -> DateTime<FixedOffset> {
        let utc = utc.and_utc();
        match self.time_zone {
            Some(zone) => utc.with_timezone(&zone).fixed_offset(),
            // `offset_minutes` has `getTimezoneOffset()`'s sign: minutes west of UTC.
            None => i32::try_from(self.offset_minutes * 60)
                .ok()
                .and_then(FixedOffset::west_opt)
                .map_or_else(|| utc.fixed_offset(), |offset| utc.with_timezone(&offset)),
        }
    }

    /// UTC instant at which the local date `day` begins.
    pub fn day_start_utc(&self, day: NaiveDate) -> NaiveDateTime {
        Calendar { offset_minutes: self.offset_minutes, time_zone: self.time_zone }.day_start_utc(day)
    }

    /// Inclusive UTC lower bound of the window, if it has one.
    pub fn utc_start(&self) -> Option<NaiveDateTime> {
        self.first_day.map(|day| self.day_start_utc(day))
    }

    /// UTC instant at which the local date `day` ends: the next day's start.
    pub fn day_end_utc(&self, day: NaiveDate) -> NaiveDateTime {
        match day.succ_opt() {
            Some(next) => self.day_start_utc(next),
            // December 31st, 9999 is refused by `parse`; a fixed day is the only sensible answer.
            None => self.day_start_utc(day) + TimeDelta::days(1),
        }
    }

    /// Exclusive UTC upper bound of the window: the start of the day after the last one.
    pub fn utc_end(&self) -> Option<NaiveDateTime> {
        self.last_day.map(|day| self.day_end_utc(day))
    }

    /// The local dates of a closed window, oldest first; empty for an open one.
    pub fn days(&self) -> Vec<NaiveDate> {
        match (self.first_day, self.last_day) {
            (Some(first), Some(last)) => first.iter_days().take_while(|d| *d <= last).collect(),
            _ => Vec::new(),
        }
    }
}

/// The caller's calendar: where each local day starts in UTC.
#[derive(Clone, Copy, Debug)]
struct Calendar {
    offset_minutes: i64,
    time_zone: Option<Tz>,
}

impl Calendar {
    fn today(self, now: DateTime<Utc>) -> NaiveDate {
        match self.time_zone {
            Some(zone) => now.with_timezone(&zone).date_naive(),
            None => local_today(now, self.offset_minutes),
        }
    }

    /// The first instant of `day`: its midnight at the fixed offset, or in the zone. Where the
    /// zone's midnight does not exist (a jump at 00:00) the day starts at its first existing
    /// minute; a date the zone skipped entirely starts where the next one does (a day of no
    /// length); an ambiguous midnight (a fall-back at 00:00) is its first occurrence.
    fn day_start_utc(self, day: NaiveDate) -> NaiveDateTime {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        let Some(zone) = self.time_zone else {
            // In range by construction: dates are years 1–9999 and offsets at most ±14 h.
            return midnight + TimeDelta::minutes(self.offset_minutes);
        };
        // Zones have skipped at most a whole day (Pacific/Apia, 2011-12-30).
        for minutes in 0..=2 * 24 * 60 {
            match zone.from_local_datetime(&(midnight + TimeDelta::minutes(minutes))) {
                LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => return instant.naive_utc(),
                LocalResult::None => {}
            }
        }
        midnight
    }
}

/// Today's date in `zone`.
pub fn today_in(zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    Calendar { offset_minutes: 0, time_zone: Some(zone) }.today(now)
}

/// The UTC instant at which the local date `day` begins in `zone` (its first minute that exists).
pub fn day_start_in(zone: Tz, day: NaiveDate) -> NaiveDateTime {
    Calendar { offset_minutes: 0, time_zone: Some(zone) }.day_start_utc(day)
}

/// Today's date at a fixed offset.
pub fn local_today(now: DateTime<Utc>, offset_minutes: i64) -> NaiveDate {
    (now.naive_utc() - TimeDelta::minutes(offset_minutes)).date()
}

/// An IANA zone by its tz database name (`Europe/Berlin`, `UTC`).
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("test date")
    }

    fn at(text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test time");
        Utc.from_utc_datetime(&naive)
    }

    fn window(input: FilterInput, purpose: Purpose) -> (NaiveDate, NaiveDate) {
        let filter = Filter::parse(input, purpose, at("2026-06-11 03:00")).expect("valid filter");
        (filter.first_day.expect("first"), filter.last_day.expect("last"))
    }

    fn timeframe(timeframe: Timeframe, end: &str) -> (NaiveDate, NaiveDate) {
        let input = FilterInput { timeframe: Some(timeframe), end_date: Some(date(end)), ..Default::default() };
        window(input, Purpose::List)
    }

    #[test]
    fn a_week_is_the_end_date_and_the_six_days_before() {
        assert_eq!(timeframe(Timeframe::Week, "2026-06-10"), (date("2026-06-04"), date("2026-06-10")));
    }

    #[test]
    fn a_month_ending_on_the_31st_starts_on_the_1st() {
        assert_eq!(timeframe(Timeframe::Month, "2026-03-31"), (date("2026-03-01"), date("2026-03-31")));
    }

    #[test]
    fn a_month_ending_on_the_30th_of_march_clamps_through_february() {
        assert_eq!(timeframe(Timeframe::Month, "2026-03-30"), (date("2026-03-01"), date("2026-03-30")));
    }

    #[test]
    fn a_month_ending_mid_month_starts_the_day_after_the_same_date_last_month() {
        assert_eq!(timeframe(Timeframe::Month, "2026-06-10"), (date("2026-05-11"), date("2026-06-10")));
    }

    #[test]
    fn a_quarter_is_three_calendar_months() {
        assert_eq!(timeframe(Timeframe::Quarter, "2026-06-10"), (date("2026-03-11"), date("2026-06-10")));
        assert_eq!(timeframe(Timeframe::Quarter, "2026-05-31"), (date("2026-03-01"), date("2026-05-31")));
    }

    #[test]
    fn a_year_ending_on_a_leap_day_has_366_days() {
        let (first, last) = timeframe(Timeframe::Year, "2028-02-29");
        assert_eq!(first, date("2027-03-01"));
        assert_eq!((last - first).num_days() + 1, 366);
    }

    #[test]
    fn a_year_without_a_leap_day_has_365_days() {
        let (first, last) = timeframe(Timeframe::Year, "2026-06-10");
        assert_eq!(first, date("2025-06-11"));
        assert_eq!((last - first).num_days() + 1, 365);
    }

    #[test]
    fn a_year_across_a_leap_day_has_366_days() {
        let (first, last) = timeframe(Timeframe::Year, "2028-03-01");
        assert_eq!(first, date("2027-03-02"));
        assert_eq!((last - first).num_days() + 1, 366);
    }

    #[test]
    fn the_default_end_date_is_today_in_the_callers_calendar() {
        // 03:00Z on June 11 is still June 10 in New York (offset 300) and already June 11 in UTC.
        let new_york = FilterInput { timeframe: Some(Timeframe::Week), offset: Some(300), ..Default::default() };
        assert_eq!(window(new_york, Purpose::List).1, date("2026-06-10"));
        let utc = FilterInput { timeframe: Some(Timeframe::Week), ..Default::default() };
        assert_eq!(window(utc, Purpose::List).1, date("2026-06-11"));
        // 23:30Z on June 10 is already June 11 in India (offset -330).
        let india = FilterInput { timeframe: Some(Timeframe::Week), offset: Some(-330), ..Default::default() };
        let filter = Filter::parse(india, Purpose::List, at("2026-06-10 23:30")).expect("valid");
        assert_eq!(filter.last_day, Some(date("2026-06-11")));
    }

    #[test]
    fn insights_default_to_a_month_ending_today() {
        assert_eq!(window(FilterInput::default(), Purpose::Insights), (date("2026-05-12"), date("2026-06-11")));
    }

    #[test]
    fn insights_with_a_start_date_use_the_explicit_range() {
        let input = FilterInput { start_date: Some(date("2026-06-01")), ..Default::default() };
        assert_eq!(window(input, Purpose::Insights), (date("2026-06-01"), date("2026-06-11")));
    }

    #[test]
    fn the_list_without_timeframe_or_dates_is_open_at_both_ends() {
        let filter = Filter::parse(FilterInput::default(), Purpose::List, at("2026-06-11 03:00")).expect("valid");
        assert_eq!((filter.utc_start(), filter.utc_end()), (None, None));
    }

    fn utc_bounds(offset: i64, first: &str, last: &str) -> (String, String) {
        let input = FilterInput {
            start_date: Some(date(first)),
            end_date: Some(date(last)),
            offset: Some(offset),
            ..Default::default()
        };
        let filter = Filter::parse(input, Purpose::List, at("2026-06-11 03:00")).expect("valid");
        let show = |t: Option<NaiveDateTime>| t.expect("bound").format("%Y-%m-%d %H:%M").to_string();
        (show(filter.utc_start()), show(filter.utc_end()))
    }

    #[test]
    fn local_days_map_to_utc_on_both_sides_of_utc() {
        let day = |offset| utc_bounds(offset, "2026-06-10", "2026-06-10");
        assert_eq!(day(0), ("2026-06-10 00:00".into(), "2026-06-11 00:00".into()));
        assert_eq!(day(300), ("2026-06-10 05:00".into(), "2026-06-11 05:00".into()));
        assert_eq!(day(-60), ("2026-06-09 23:00".into(), "2026-06-10 23:00".into()));
        assert_eq!(day(-330), ("2026-06-09 18:30".into(), "2026-06-10 18:30".into()));
        assert_eq!(day(345), ("2026-06-10 05:45".into(), "2026-06-11 05:45".into()));
        assert_eq!(day(840), ("2026-06-10 14:00".into(), "2026-06-11 14:00".into()));
        assert_eq!(day(-840), ("2026-06-09 10:00".into(), "2026-06-10 10:00".into()));
    }

    #[test]
    fn offsets_beyond_fourteen_hours_are_rejected_with_their_bound() {
        for (offset, expected) in
            [(841, FieldError::above(Field::Offset, 840)), (-841, FieldError::below(Field::Offset, -840))]
        {
            let input = FilterInput { offset: Some(offset), ..Default::default() };
            let errors = Filter::parse(input, Purpose::List, at("2026-06-11 03:00")).expect_err("invalid");
            assert_eq!(errors, vec![expected]);
        }
    }

    #[test]
    fn a_timeframe_with_a_start_date_is_rejected_on_the_timeframe() {
        let input = FilterInput {
            timeframe: Some(Timeframe::Week),
            start_date: Some(date("2026-06-01")),
            ..Default::default()
        };
        let errors = Filter::parse(input, Purpose::List, at("2026-06-11 03:00")).expect_err("invalid");
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].field, errors[0].kind), (Field::Timeframe, "value_error"));
    }

    #[test]
    fn a_start_after_the_end_is_rejected_on_the_end_date() {
        let input = FilterInput {
            start_date: Some(date("2026-06-02")),
            end_date: Some(date("2026-06-01")),
            ..Default::default()
        };
        let errors = Filter::parse(input, Purpose::List, at("2026-06-11 03:00")).expect_err("invalid");
        assert_eq!((errors[0].field, errors[0].kind), (Field::EndDate, "value_error"));
    }

    #[test]
    fn a_single_day_range_is_allowed() {
        let input = FilterInput {
            start_date: Some(date("2026-06-02")),
            end_date: Some(date("2026-06-02")),
            ..Default::default()
        };
        assert_eq!(window(input, Purpose::List), (date("2026-06-02"), date("2026-06-02")));
    }

    #[test]
    fn insights_ranges_longer_than_ten_years_are_rejected() {
        let input = |start| FilterInput {
            start_date: Some(date(start)),
            end_date: Some(date("2026-06-10")),
            ..Default::default()
        };
        // 2016-06-21 … 2026-06-10 is exactly 3,642 days; 2016-06-03 … 2026-06-10 is 3,660.
        assert!(Filter::parse(input("2016-06-03"), Purpose::Insights, at("2026-06-11 03:00")).is_ok());
        let errors =
            Filter::parse(input("2016-06-02"), Purpose::Insights, at("2026-06-11 03:00")).expect_err("too long");
        assert_eq!(errors[0].field, Field::EndDate);
        // The list has no such limit.
        assert!(Filter::parse(input("2000-01-01"), Purpose::List, at("2026-06-11 03:00")).is_ok());
    }

    #[test]
    fn lists_longer_than_a_thousand_entries_are_rejected() {
        let input = FilterInput { users: (0..1001).collect(), ..Default::default() };
        let errors = Filter::parse(input, Purpose::List, at("2026-06-11 03:00")).expect_err("too many");
        assert_eq!(errors, vec![FieldError::too_many_items(Field::Users, 1000)]);
    }

    #[test]
    fn text_the_database_cannot_compare_is_rejected_naming_its_field() {
        let input = |actions: &[&str], object_types: &[&str]| FilterInput {
            actions: actions.iter().map(|a| a.to_string()).collect(),
            object_types: object_types.iter().map(|o| o.to_string()).collect(),
            ..Default::default()
        };
        let parse = |input| Filter::parse(input, Purpose::List, at("2026-06-11 03:00"));
        assert_eq!(parse(input(&["\0"], &[])), Err(vec![FieldError::nul_character(Field::Actions)]));
        assert_eq!(
            parse(input(&["update"], &["Data\0store"])),
            Err(vec![FieldError::nul_character(Field::ObjectTypes)])
        );
        // 255 characters (multi-byte ones count once) fit a column; 256 do not.
        let longest = "é".repeat(255);
        assert!(parse(input(&[&longest], &[&longest])).is_ok());
        let errors = parse(input(&[&format!("{longest}x")], &[])).expect_err("too long");
        assert_eq!(errors, vec![FieldError::too_long(Field::Actions, 255)]);
        assert_eq!(errors[0].msg, "ensure this value has at most 255 characters");
    }

    #[test]
    fn dates_must_exist_and_be_written_in_full() {
        assert_eq!(parse_date("2028-02-29"), NaiveDate::from_ymd_opt(2028, 2, 29));
        for bad in ["2026-02-30", "2027-02-29", "2026-6-1", "20260601", "2026-06-01T00:00", "", "+2026-06-1"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_days_of_a_window_are_listed_oldest_first() {
        let input =
            FilterInput { timeframe: Some(Timeframe::Week), end_date: Some(date("2026-06-10")), ..Default::default() };
        let filter = Filter::parse(input, Purpose::Insights, at("2026-06-11 03:00")).expect("valid");
        let days = filter.days();
        assert_eq!(days.len(), 7);
        assert_eq!((days[0], days[6]), (date("2026-06-04"), date("2026-06-10")));
    }
}

#[cfg(test)]
mod time_zone_tests {
    use chrono::TimeZone;

    use super::*;

    fn zone(name: &str) -> Tz {
        parse_time_zone(name).expect("a zone")
    }

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("a date")
    }

    #[test]
    fn today_and_day_starts_follow_the_zone() {
        let now = Utc.with_ymd_and_hms(2026, 6, 10, 23, 30, 0).single().expect("now");
        let input = |name: &str| FilterInput { time_zone: Some(zone(name)), ..Default::default() };
        let berlin = Filter::parse(input("Europe/Berlin"), Purpose::Insights, now).expect("filter");
        // 01:30 CEST on the 11th in Berlin; 19:30 EDT on the 10th in New York.
        assert_eq!(berlin.last_day, Some(date("2026-06-11")));
        let new_york = Filter::parse(input("America/New_York"), Purpose::Insights, now).expect("filter");
        assert_eq!(new_york.last_day, Some(date("2026-06-10")));

        let start = |name: &str, day: &str| {
            Filter { time_zone: Some(zone(name)), ..new_york.clone() }.day_start_utc(date(day)).to_string()
        };
        assert_eq!(start("Europe/Berlin", "2026-03-29"), "2026-03-28 23:00:00");
        assert_eq!(start("Europe/Berlin", "2026-03-30"), "2026-03-29 22:00:00");
        // Havana's midnight does not exist on 2026-03-08: the day starts at 01:00 CDT.
        assert_eq!(start("America/Havana", "2026-03-08"), "2026-03-08 05:00:00");
        // Apia skipped 2011-12-30: it starts where the 31st does, and lasts no time.
        assert_eq!(start("Pacific/Apia", "2011-12-30"), "2011-12-30 10:00:00");
        assert_eq!(start("Pacific/Apia", "2011-12-31"), "2011-12-30 10:00:00");
    }
}

/// What holds for every filter [`Filter::parse`] accepts, for the property tests of each face:
/// the error says which rule a generated input broke.
#[cfg(test)]
pub(crate) fn check_invariants(filter: &Filter, purpose: Purpose) -> Result<(), String> {
    for (field, values) in [("actions", &filter.actions), ("object_types", &filter.object_types)] {
        if values.iter().any(|value| value.contains('\0') || value.chars().count() > MAX_TEXT_CHARS) {
            return Err(format!("{field} holds text the database cannot compare: {values:?}"));
        }
    }
    if filter.users.len() > MAX_LIST_ITEMS || filter.offset_minutes.abs() > MAX_OFFSET_MINUTES {
        return Err(format!("a bound was not held: {filter:?}"));
    }
    if filter.time_zone.is_some() && filter.offset_minutes != 0 {
        return Err("a zone and an offset".to_owned());
    }
    for day in [filter.first_day, filter.last_day].into_iter().flatten() {
        if !supported(day) {
            return Err(format!("a date outside the years 2 to 9998: {day}"));
        }
    }
    if let (Some(first), Some(last)) = (filter.first_day, filter.last_day) {
        if first > last {
            return Err(format!("the window ends before it starts: {first} > {last}"));
        }
        // Zones may skip a date: a window of such days is of no length, never negative.
        if filter.utc_start() > filter.utc_end() {
            return Err(format!("the UTC window is inverted: {filter:?}"));
        }
    }
    if purpose == Purpose::Insights {
        let days = filter.days().len() as i64;
        if !(1..=MAX_INSIGHTS_DAYS).contains(&days) {
            return Err(format!("insights over {days} days"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod properties {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    /// Dates anywhere chrono can hold them, often near the ends of what the filter accepts.
    fn date() -> impl Strategy<Value = Option<NaiveDate>> {
        let near_edges = prop_oneof![Just(1), Just(2), Just(9998), Just(9999), 1900..2100i32];
        let any = (-260_000..260_000i32).prop_filter_map("a date", |year| NaiveDate::from_ymd_opt(year, 1, 1));
        let edge =
            (near_edges, 1..=12u32, 1..=31u32).prop_filter_map("a date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        prop::option::of(prop_oneof![3 => edge, 1 => any])
    }

    /// Text of every kind: words, NULs, long runs, any Unicode.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["update", "create", "Datastore", "\0", "a\0b", "é"]).prop_map(str::to_owned),
            any::<String>(),
            (250..260usize, prop::sample::select(vec!["a", "é", "😀"])).prop_map(|(n, c)| c.repeat(n)),
        ]
    }

    fn input() -> impl Strategy<Value = FilterInput> {
        let zone = prop::option::of(prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()));
        let offset = prop::option::of(prop_oneof![-900..900i64, any::<i64>()]);
        let timeframe = prop::option::of(prop::sample::select(vec![
            Timeframe::Week,
            Timeframe::Month,
            Timeframe::Quarter,
            Timeframe::Year,
        ]));
        (
            (prop::collection::vec(any::<i64>(), 0..4), prop_oneof![Just(0usize), Just(1001)]),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(text(), 0..3),
            (date(), date(), timeframe),
            (offset, zone, prop::option::of(any::<bool>())),
        )
            .prop_map(|((users, extra), actions, object_types, (start_date, end_date, timeframe), rest)| {
                let (offset, time_zone, include_internal) = rest;
                let users = users.into_iter().chain((0..extra).map(|n| n as i64)).collect();
                FilterInput {
                    users,
                    actions,
                    object_types,
                    start_date,
                    end_date,
                    timeframe,
                    offset,
                    time_zone,
                    include_internal,
                    unparsed: Vec::new(),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// Any typed input, at any moment, is a filter that keeps every rule, or errors that
        /// each name a field and say what is wrong.
        #[test]
        fn every_input_is_a_valid_filter_or_named_errors(
            input in input(),
            now in -8_000_000_000_000i64..250_000_000_000i64,
            insights in any::<bool>(),
        ) {
            let purpose = if insights { Purpose::Insights } else { Purpose::List };
            let now = Utc.timestamp_opt(now, 0).single().expect("an instant");
            match Filter::parse(input, purpose, now) {
                Ok(filter) => {
                    if let Err(broken) = check_invariants(&filter, purpose) {
                        prop_assert!(false, "{}", broken);
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(!error.msg.is_empty() && !error.kind.is_empty(), "{:?}", error);
                    }
                }
            }
        }
    }
}
