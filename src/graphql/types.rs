//! The public GraphQL types. They are built from the query layer's results, never from database
//! rows directly, so the schema only changes when we mean it to. Doc comments here become the
//! descriptions in `schema.graphql`.

use super::error::ResolverResult;
use super::loader::{database, user_loader};
use super::rows::{Render, Row, Rows, optional, text};
use crate::audit::{self, PageRequest};
use crate::error::AppError;
use crate::filter::{self, Field, FieldError, Filter, FilterInput};
use async_graphql::parser::types::SelectionSet;
use async_graphql::{
    ComplexObject, Context, Description, Enum, ID, InputObject, InputValueError, InputValueResult, Json, Scalar,
    ScalarType, SimpleObject, Value,
};
use chrono::{NaiveDate, NaiveDateTime};

// Input dates are checked with the rest of the filter rather than by the scalar, so that a bad
// date is reported like every other bad field: `BAD_USER_INPUT` naming `startDate` or `endDate`.
/// A calendar date written `YYYY-MM-DD` (RFC 3339 `full-date`), in the caller's local calendar.
#[derive(Clone, Debug, PartialEq, Eq, Description)]
pub struct Date(pub String);

impl Date {
    fn output(date: NaiveDate) -> Self {
        Date(date.format("%Y-%m-%d").to_string())
    }

    fn parse_for(&self, field: Field) -> Result<NaiveDate, FieldError> {
        filter::parse_date(&self.0).ok_or_else(|| FieldError::not_a_date(field))
    }
}

#[Scalar(
    name = "Date",
    use_type_description,
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Date(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    /// Only strings: another literal (`1`, `DAY`) is refused by validation, as the client's.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// An instant in UTC, written as an RFC 3339 `date-time` with a `Z`, fractional seconds only when
/// they are not zero: `2026-06-10T18:42:11Z`, `2026-06-10T18:42:11.250Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Description)]
pub struct DateTime(pub NaiveDateTime);

#[Scalar(
    name = "DateTime",
    use_type_description,
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|instant| DateTime(instant.naive_utc()))
                .map_err(|_| InputValueError::custom("invalid RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(crate::audit::format_instant(self.0))
    }
}

/// The length of the window that ends on `endDate`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "filter::Timeframe")]
pub enum Timeframe {
    /// The end date and the six days before it.
    Week,
    /// From the day after the same date one calendar month earlier (clamped to the month's end).
    Month,
    /// From the day after the same date three calendar months earlier.
    Quarter,
    /// From the day after the same date twelve calendar months earlier (365 or 366 days).
    Year,
}

/// The one filter shared by `activity` and `activityInsights`, so a page, its cards and its chart
/// always agree. Dates are local calendar dates of the caller; both ends are inclusive.
#[derive(InputObject, Clone, Debug)]
pub struct ActivityFilter {
    /// Only actions of these users (ids, as strings or integers). Empty or absent: any user.
    pub users: Option<Vec<ID>>,
    /// Only these verbs (`create`, `update`, …), exact match. Empty or absent: any verb.
    pub actions: Option<Vec<String>>,
    /// Only actions on these object types (`Datastore`, `QualityCheck`, …), exact match. Empty or
    /// absent: any type.
    pub object_types: Option<Vec<String>>,
    /// First local date to include. Not allowed together with `timeframe`.
    pub start_date: Option<Date>,
    /// Last local date to include; with `timeframe`, the window's anchor. Default: today.
    pub end_date: Option<Date>,
    /// Derive the start from `endDate`. `activityInsights` defaults to `MONTH` when neither
    /// `timeframe` nor `startDate` is given; `activity` then lists all time.
    pub timeframe: Option<Timeframe>,
    /// The caller's time-zone offset in minutes with the sign of JavaScript's
    /// `Date.prototype.getTimezoneOffset()`: New York in winter is 300, Berlin -60, India -330.
    /// From -840 to 840.
    #[graphql(default_with = "Filter::DEFAULT_OFFSET_MINUTES")]
    pub offset: i64,
    /// The caller's IANA time zone (`Europe/Berlin`, `America/New_York`, `UTC`), as a browser's
    /// `Intl.DateTimeFormat().resolvedOptions().timeZone` gives it: local days follow its daylight
    /// saving changes (days of 23 or 25 hours). Not together with a non-zero `offset`.
    pub time_zone: Option<String>,
    /// Include actions of internal (platform/service) users. `uniqueActors` never counts them.
    #[graphql(default_with = "Filter::DEFAULT_INCLUDE_INTERNAL")]
    pub include_internal: bool,
}

/// What an absent `filter` argument means: the same as `{}`, with the schema's defaults.
impl Default for ActivityFilter {
    fn default() -> Self {
        ActivityFilter {
            users: None,
            actions: None,
            object_types: None,
            start_date: None,
            end_date: None,
            timeframe: None,
            offset: Filter::DEFAULT_OFFSET_MINUTES,
            time_zone: None,
            include_internal: Filter::DEFAULT_INCLUDE_INTERNAL,
        }
    }
}

impl ActivityFilter {
    /// The typed filter input; dates that do not parse are carried as its errors.
    pub fn into_input(self) -> FilterInput {
        let mut unparsed = Vec::new();
        let mut date = |date: Option<Date>, field| {
            date.and_then(|date| date.parse_for(field).map_err(|error| unparsed.push(error)).ok())
        };
        let (start_date, end_date) = (date(self.start_date, Field::StartDate), date(self.end_date, Field::EndDate));
        let users: Result<Vec<i64>, FieldError> =
            self.users.unwrap_or_default().iter().map(|id| parse_id(id, Field::Users)).collect();
        let users = users.map_err(|error| unparsed.push(error)).unwrap_or_default();
        let time_zone = self.time_zone.and_then(|name| {
            let zone = filter::parse_time_zone(&name);
            if zone.is_none() {
                unparsed.push(FieldError::not_a_time_zone(Field::TimeZone));
            }
            zone
        });
        FilterInput {
            users,
            actions: self.actions.unwrap_or_default(),
            object_types: self.object_types.unwrap_or_default(),
            start_date,
            end_date,
            timeframe: self.timeframe.map(Into::into),
            offset: Some(self.offset),
            time_zone,
            include_internal: Some(self.include_internal),
            unparsed,
        }
    }
}

/// The database's BIGINT behind an `ID`.
fn parse_id(id: &ID, field: Field) -> Result<i64, FieldError> {
    id.trim().parse().map_err(|_| FieldError::not_an_integer(field))
}

/// Which page of the list to return.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct PageInput {
    /// Page number, from 1. A page past the end is empty, not an error.
    #[graphql(default_with = "PageRequest::DEFAULT_PAGE")]
    pub page: i64,
    /// Items per page, 1 to 100.
    #[graphql(default_with = "PageRequest::DEFAULT_SIZE")]
    pub size: i64,
}

/// One page of activity, newest first.
#[derive(SimpleObject)]
pub struct ActivityPage {
    pub items: Rows<Activity>,
    /// Activities matching the filter, on all pages.
    pub total: i64,
    pub page: i64,
    pub size: i64,
    /// Number of pages: `ceil(total / size)`, 0 when there is nothing.
    pub pages: i64,
}

impl From<audit::ActivityPage> for ActivityPage {
    fn from(page: audit::ActivityPage) -> Self {
        ActivityPage {
            items: Rows(page.items.into_iter().map(Activity::from).collect()),
            // Only left uncounted when neither field was selected, so the zeros are never shown.
            total: page.total.unwrap_or_default(),
            page: page.page,
            size: page.size,
            pages: page.pages.unwrap_or_default(),
        }
    }
}

/// What occurs in scope, for filter pickers: each facet counted under every filter field but its
/// own.
#[derive(SimpleObject)]
pub struct ActivityFacets {
    /// Accounts with actions in scope (actions without a user are not listed).
    pub users: Vec<UserFacet>,
    /// Verbs.
    pub actions: Vec<FacetValue>,
    /// Object types.
    pub object_types: Vec<FacetValue>,
}

impl From<audit::Facets> for ActivityFacets {
    fn from(facets: audit::Facets) -> Self {
        let values = |values: Vec<audit::ValueCount>| {
            values.into_iter().map(|value| FacetValue { value: value.value, count: value.count }).collect()
        };
        ActivityFacets {
            users: facets
                .users
                .into_iter()
                .map(|user| UserFacet { user_id: user.user_id.into(), id: user.user_id, count: user.count })
                .collect(),
            actions: values(facets.actions),
            object_types: values(facets.object_types),
        }
    }
}

/// One account and its actions in scope.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UserFacet {
    pub user_id: ID,
    #[graphql(skip)]
    id: i64,
    pub count: i64,
}

#[ComplexObject]
impl UserFacet {
    /// The account; null when it no longer exists.
    async fn user(&self, ctx: &Context<'_>) -> ResolverResult<Option<User>> {
        Ok(load_user(ctx, Some(self.id)).await?.map(User::from))
    }
}

/// A verb or object type and its actions in scope.
#[derive(SimpleObject)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

/// A page of activity as a Relay connection, newest first.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ActivityConnection {
    pub edges: Rows<ActivityEdge>,
    pub page_info: PageInfo,
    #[graphql(skip)]
    filter: filter::Filter,
}

impl ActivityConnection {
    pub fn new(filter: filter::Filter, page: audit::ConnectionPage) -> Self {
        let cursors: Vec<String> = page.items.iter().map(|item| audit::Position::of(item).cursor()).collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        };
        let edges = page
            .items
            .into_iter()
            .zip(cursors)
            .map(|(item, cursor)| ActivityEdge { cursor, node: item.into() })
            .collect();
        ActivityConnection { edges: Rows(edges), page_info, filter }
    }
}

#[ComplexObject]
impl ActivityConnection {
    /// Activities matching the filter, on all pages; counted only when asked for.
    async fn total_count(&self, ctx: &Context<'_>) -> ResolverResult<i64> {
        Ok(audit::total_count(database(ctx)?, &self.filter).await?)
    }
}

/// One activity of a connection and the cursor of its position.
#[derive(SimpleObject)]
pub struct ActivityEdge {
    /// Opaque: pass it as `after` or `before` to continue from here.
    pub cursor: String,
    pub node: Activity,
}

/// Where a connection page is in the whole list.
#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// One action: a verb applied to an object, within a transaction.
#[derive(SimpleObject)]
pub struct Activity {
    /// The activity's own id, stable: a cache key for clients.
    pub id: ID,
    pub transaction: Transaction,
    /// `create`, `update`, `delete`, `activate`, `archive`, …
    pub verb: String,
    /// CamelCase entity type: `Datastore`, `QualityCheck`, `Anomaly`, …
    pub object_type: String,
    /// The affected entity's id, when the action targets one.
    pub object_id: Option<ID>,
    /// The payload the application stored with the action (free-form JSON), null when there is
    /// none. A stored payload that is not valid JSON comes back as a JSON string.
    pub data: Option<Json<serde_json::Value>>,
}

/// An activity whose user is resolved through the request's loader (which the page fed).
impl From<audit::ActivityItem> for Activity {
    fn from(item: audit::ActivityItem) -> Self {
        Activity::new(item, None)
    }
}

impl Activity {
    /// An activity that carries the user its statement read: for the live feed, which has no
    /// request (and so no loader) per row.
    pub fn with_user(mut item: audit::ActivityItem) -> Self {
        let user = item.user.take();
        Activity::new(item, Some(user))
    }

    fn new(item: audit::ActivityItem, user: Option<Option<entity::users::Model>>) -> Self {
        Activity {
            id: item.id.into(),
            transaction: Transaction {
                id: item.transaction_id.into(),
                issued_at: DateTime(item.issued_at),
                remote_addr: item.remote_addr,
                user_id: item.user_id,
                user,
            },
            verb: item.verb,
            object_type: item.object_type,
            object_id: item.object_id.map(ID::from),
            data: item.data.map(|text| Json(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))),
        }
    }
}

/// The request of the audited application that carried the action.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Transaction {
    pub id: ID,
    /// When it happened.
    pub issued_at: DateTime,
    /// The client address the application recorded for the request, when it did.
    pub remote_addr: Option<String>,
    #[graphql(skip)]
    pub user_id: Option<i64>,
    /// The user as read with the row, when it was (`None`: ask the loader).
    #[graphql(skip)]
    pub user: Option<Option<entity::users::Model>>,
}

#[ComplexObject]
impl Transaction {
    /// Who did it; null when the account no longer exists.
    async fn user(&self, ctx: &Context<'_>) -> ResolverResult<Option<User>> {
        if let Some(user) = &self.user {
            return Ok(user.clone().map(User::from));
        }
        Ok(load_user(ctx, self.user_id).await?.map(User::from))
    }
}

/// An account of the audited application.
#[derive(SimpleObject)]
pub struct User {
    pub id: ID,
    /// Display name.
    pub name: String,
    pub user_name: String,
    pub email: String,
    /// A platform or service account: its actions are system actions.
    pub is_internal: bool,
}

impl From<entity::users::Model> for User {
    fn from(user: entity::users::Model) -> Self {
        User {
            id: user.id.into(),
            name: user.name,
            user_name: user.user_name,
            email: user.email,
            is_internal: user.is_internal,
        }
    }
}

/// Looks a user up through the request's DataLoader, so a page costs one statement for all users.
async fn load_user(ctx: &Context<'_>, id: Option<i64>) -> ResolverResult<Option<entity::users::Model>> {
    let Some(id) = id else { return Ok(None) };
    Ok(user_loader(ctx)?.load_one(id).await?)
}

/// Summary cards and the daily chart for the window.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ActivityInsights {
    /// Distinct non-internal users with at least one action (never counts internal users).
    pub unique_actors: i64,
    /// Actions in scope; internal users' only when `includeInternal`.
    pub total_actions: i64,
    #[graphql(skip)]
    pub top_actor: Option<audit::TopActor>,
    /// The object type with the most actions; ties go to the smallest name. Null when none.
    pub top_entity_type: Option<TopEntityType>,
    /// One entry per local date of the window, oldest first, zero-filled. Sums to `totalActions`.
    pub actions_per_day: Vec<DailyActions>,
    #[graphql(skip)]
    filter: filter::Filter,
}

#[ComplexObject]
impl ActivityInsights {
    /// The window in local hours, days, weeks, months or quarters, oldest first, zero-filled, the
    /// first and last clipped to the window. The counts sum to `totalActions`.
    async fn chart(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ChartInterval::Day")] interval: ChartInterval,
        #[graphql(default_with = "Weekday::Mon")] week_starts_on: Weekday,
    ) -> ResolverResult<Vec<ChartBucket>> {
        let buckets = audit::chart::buckets(&self.filter, interval.into(), week_starts_on.into())
            .map_err(|error| AppError::InvalidInput(vec![error]))?;
        let buckets = audit::chart::chart(database(ctx)?, &self.filter, buckets).await?;
        Ok(buckets.into_iter().map(Into::into).collect())
    }

    /// The user with the most actions; ties go to the smallest user id. Null when no action in
    /// scope has a user.
    async fn top_actor(&self, ctx: &Context<'_>) -> ResolverResult<Option<TopActor>> {
        let Some(top) = self.top_actor else { return Ok(None) };
        Ok(load_user(ctx, Some(top.user_id)).await?.map(|user| TopActor {
            id: user.id.into(),
            name: user.name,
            user_name: user.user_name,
            email: user.email,
            action_count: top.action_count,
        }))
    }
}

impl ActivityInsights {
    /// The figures of `filter`'s window (kept for the chart, counted only when asked for).
    pub fn new(insights: audit::Insights, filter: filter::Filter) -> Self {
        ActivityInsights {
            unique_actors: insights.unique_actors,
            total_actions: insights.total_actions,
            top_actor: insights.top_actor,
            top_entity_type: insights.top_entity_type.map(Into::into),
            actions_per_day: insights.actions_per_day.into_iter().map(Into::into).collect(),
            filter,
        }
    }
}

/// How long a chart bucket is, in the caller's calendar.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "audit::Interval")]
pub enum ChartInterval {
    /// Consecutive hours from each local midnight (windows of at most 31 days).
    Hour,
    Day,
    /// Weeks starting on `weekStartsOn`.
    Week,
    Month,
    /// January–March, April–June, July–September, October–December.
    Quarter,
}

/// A day of the week.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "chrono::Weekday")]
pub enum Weekday {
    #[graphql(name = "MONDAY")]
    Mon,
    #[graphql(name = "TUESDAY")]
    Tue,
    #[graphql(name = "WEDNESDAY")]
    Wed,
    #[graphql(name = "THURSDAY")]
    Thu,
    #[graphql(name = "FRIDAY")]
    Fri,
    #[graphql(name = "SATURDAY")]
    Sat,
    #[graphql(name = "SUNDAY")]
    Sun,
}

/// Actions in one chart bucket: a span of the caller's calendar, clipped to the window.
#[derive(SimpleObject)]
pub struct ChartBucket {
    /// The bucket's half-open span, in UTC.
    pub start: DateTime,
    pub end: DateTime,
    /// The local dates it covers, both included.
    pub first_day: Date,
    pub last_day: Date,
    /// Actions of non-internal users, including users that no longer exist.
    pub user_count: i64,
    /// Actions of internal users.
    pub system_count: i64,
}

impl From<audit::Bucket> for ChartBucket {
    fn from(bucket: audit::Bucket) -> Self {
        ChartBucket {
            start: DateTime(bucket.start),
            end: DateTime(bucket.end),
            first_day: Date::output(bucket.first_day),
            last_day: Date::output(bucket.last_day),
            user_count: bucket.user_count,
            system_count: bucket.system_count,
        }
    }
}

/// The most active user and their number of actions.
#[derive(SimpleObject)]
pub struct TopActor {
    pub id: ID,
    pub name: String,
    pub user_name: String,
    pub email: String,
    pub action_count: i64,
}

/// The most acted-upon object type and its number of actions.
#[derive(SimpleObject)]
pub struct TopEntityType {
    pub object_type: String,
    pub count: i64,
}

impl From<audit::TopEntityType> for TopEntityType {
    fn from(top: audit::TopEntityType) -> Self {
        TopEntityType { object_type: top.object_type, count: top.count }
    }
}

/// Actions on one local date, split by who made them.
#[derive(SimpleObject)]
pub struct DailyActions {
    pub date: Date,
    /// Actions of non-internal users, including users that no longer exist.
    pub user_count: i64,
    /// Actions of internal users ("system" actions).
    pub system_count: i64,
}

impl From<audit::DailyActions> for DailyActions {
    fn from(day: audit::DailyActions) -> Self {
        DailyActions { date: Date::output(day.date), user_count: day.user_count, system_count: day.system_count }
    }
}

// What each row type renders as in one pass (`rows`), field by field as its resolvers would.

impl Row for ActivityEdge {
    const TYPE_NAME: &'static str = "ActivityEdge";

    fn field(&self, name: &str, set: &SelectionSet, render: &Render<'_>) -> Option<Value> {
        match name {
            "cursor" => Some(text(&self.cursor)),
            "node" => render.object(&self.node, set),
            _ => None,
        }
    }

    fn user_id(&self) -> Option<i64> {
        self.node.user_id()
    }
}

impl Row for Activity {
    const TYPE_NAME: &'static str = "Activity";

    fn field(&self, name: &str, set: &SelectionSet, render: &Render<'_>) -> Option<Value> {
        Some(match name {
            "id" => text(&self.id),
            "transaction" => render.object(&self.transaction, set)?,
            "verb" => text(&self.verb),
            "objectType" => text(&self.object_type),
            "objectId" => optional(self.object_id.as_ref(), |id| text(id)),
            // As async-graphql renders `Json`.
            "data" => optional(self.data.as_ref(), |data| async_graphql::to_value(&data.0).unwrap_or_default()),
            _ => return None,
        })
    }

    fn user_id(&self) -> Option<i64> {
        self.transaction.user_id
    }
}

impl Row for Transaction {
    const TYPE_NAME: &'static str = "Transaction";

    fn field(&self, name: &str, set: &SelectionSet, render: &Render<'_>) -> Option<Value> {
        Some(match name {
            "id" => text(&self.id),
            "issuedAt" => self.issued_at.to_value(),
            "remoteAddr" => optional(self.remote_addr.as_deref(), text),
            "user" => match self.user_id.and_then(|id| render.users.get(&id)) {
                Some(user) => render.object(user, set)?,
                // No user, or an account deleted since: null, as the resolver says.
                None => Value::Null,
            },
            _ => return None,
        })
    }
}

impl Row for entity::users::Model {
    const TYPE_NAME: &'static str = "User";

    fn field(&self, name: &str, _: &SelectionSet, _: &Render<'_>) -> Option<Value> {
        Some(match name {
            "id" => Value::String(self.id.to_string()),
            "name" => text(&self.name),
            "userName" => text(&self.user_name),
            "email" => text(&self.email),
            "isInternal" => Value::Boolean(self.is_internal),
            _ => return None,
        })
    }
}
