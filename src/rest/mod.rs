//! The REST face, compatible with the original Audit API: `GET /api/activity` and
//! `GET /api/activity/insights` with snake_case query parameters (lists repeat the key) and the
//! original JSON bodies, plus `GET /api/activity/facets` for filter pickers and
//! `GET /api/activity/export` (`export`) to take the log away and `GET /api/activity/stream`
//! (`stream`) to follow it. Parameters are parsed here into the
//! shared [`Filter`]; every bad one is reported at once, in pydantic v1's 422 shape.
//! `GET /api/openapi.json` (`openapi`) describes them all, generated from the handlers'
//! annotations as they are mounted.

mod export;
mod openapi;
mod stream;

pub(crate) use openapi::{Detail, HealthBody, HealthErrors};

use axum::extract::{RawQuery, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi as _, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admission;
use crate::audit::{self, PageRequest, Snapshot};
use crate::availability::retry_broken;
use crate::error::{AppError, Face, FieldNamer};
use crate::filter::{self, Field, FieldError, Filter, FilterInput, Purpose, Timeframe, both_parsed};
use crate::state::AppState;

/// The REST routes, each admitted first (token, rate, availability), then `public` (routes that
/// need no token, documented beside them), and `GET /api/openapi.json`: the document of them all,
/// as utoipa-axum collected it while mounting them.
pub fn router(state: &AppState, public: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, document) = documented_routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), admission::admit))
        .merge(public)
        .split_for_parts();
    let document = openapi::Rendered::new(&document);
    router.route("/api/openapi.json", get(move || std::future::ready(document.response())))
}

/// The data routes, each with its part of the document.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(list_activity))
        .routes(routes!(activity_insights))
        .routes(routes!(activity_facets))
        .routes(routes!(export::export))
        .routes(routes!(stream::stream))
}

/// The insights endpoint calls the window's end `report_date`.
fn insights_field_name(field: Field) -> &'static str {
    match field {
        Field::EndDate => "report_date",
        other => other.rest_name(),
    }
}

/// The decoded query string: every `key=value` pair, in order, and the keys of values whose
/// bytes were not UTF-8 (those are kept with replacement characters).
struct Params {
    pairs: Vec<(String, String)>,
    not_utf8: Vec<String>,
    /// The keys asked for: the test that holds the OpenAPI document to the parsers reads them.
    #[cfg(test)]
    read: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Params {
    fn new(query: Option<String>) -> Self {
        let mut params = Params {
            pairs: Vec::new(),
            not_utf8: Vec::new(),
            #[cfg(test)]
            read: Default::default(),
        };
        let query = query.unwrap_or_default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, _) = decode_component(key);
            let (value, utf8) = decode_component(value);
            if !utf8 {
                params.not_utf8.push(key.clone());
            }
            params.pairs.push((key, value));
        }
        params
    }

    /// Whether some value of `key` was not UTF-8.
    fn has_invalid_utf8(&self, key: &str) -> bool {
        self.not_utf8.iter().any(|k| k == key)
    }

    /// Every value of a repeated key.
    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        #[cfg(test)]
        self.read.borrow_mut().insert(key.to_owned());
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A single-valued key; the last one wins when it is repeated.
    fn last<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        self.all(key).last()
    }
}

/// One component of `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte), and
/// whether its bytes were UTF-8.
fn decode_component(text: &str) -> (String, bool) {
    let bytes: Vec<u8> = percent_encoding::percent_decode(text.replace('+', " ").as_bytes()).collect();
    match String::from_utf8(bytes) {
        Ok(text) => (text, true),
        Err(error) => (String::from_utf8_lossy(error.as_bytes()).into_owned(), false),
    }
}

/// Collects the errors of typed parsing, so one response can list every bad parameter.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|error| self.0.push(error)).ok()
    }

    /// The errors collected, if any.
    fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
}

/// A REST handler's error, with the names its 422 entries give the fields.
struct RestError(AppError, FieldNamer);

impl From<AppError> for RestError {
    fn from(error: AppError) -> Self {
        RestError(error, Field::rest_name)
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        self.0.render(Face::Rest(self.1))
    }
}

fn parse_int(field: Field, text: &str) -> Result<i64, FieldError> {
    text.trim().parse().map_err(|_| FieldError::not_an_integer(field))
}

fn parse_date(field: Field, text: &str) -> Result<chrono::NaiveDate, FieldError> {
    filter::parse_date(text.trim()).ok_or_else(|| FieldError::not_a_date(field))
}

/// pydantic v1's boolean words.
fn parse_bool(field: Field, text: &str) -> Result<bool, FieldError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
        _ => Err(FieldError::not_a_bool(field)),
    }
}

fn optional<T>(
    errors: &mut Errors,
    params: &Params,
    key: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Option<T> {
    params.last(key).and_then(|text| errors.take(parse(text)))
}

/// Reads the filter parameters (`end_key` is `end_date` or `report_date`); those that do not parse
/// are carried in the input as its errors, for [`Filter::parse`] to report with the rest.
fn filter_input(params: &Params, end_key: &str) -> FilterInput {
    let mut errors = Errors::default();
    let users: Result<Vec<i64>, FieldError> = params.all("users").map(|u| parse_int(Field::Users, u)).collect();
    // Text lists go to the database as they are: bytes that are not UTF-8 cannot be compared.
    let mut text_list = |key: &str, field: Field| {
        if params.has_invalid_utf8(key) {
            errors.0.push(FieldError::not_utf8(field));
            return Vec::new();
        }
        params.all(key).map(str::to_owned).collect()
    };
    let actions = text_list("actions", Field::Actions);
    let object_types = text_list("object_types", Field::ObjectTypes);
    let errors = &mut errors;
    FilterInput {
        users: errors.take(users).unwrap_or_default(),
        actions,
        object_types,
        start_date: optional(errors, params, "start_date", |t| parse_date(Field::StartDate, t)),
        end_date: optional(errors, params, end_key, |t| parse_date(Field::EndDate, t)),
        timeframe: optional(errors, params, "timeframe", |t| {
            Timeframe::parse(t.trim()).ok_or_else(|| FieldError::not_a_timeframe(Field::Timeframe))
        }),
        offset: optional(errors, params, "offset", |t| parse_int(Field::Offset, t)),
        time_zone: optional(errors, params, "time_zone", |t| {
            filter::parse_time_zone(t).ok_or_else(|| FieldError::not_a_time_zone(Field::TimeZone))
        }),
        include_internal: optional(errors, params, "include_internal", |t| parse_bool(Field::IncludeInternal, t)),
        unparsed: std::mem::take(&mut errors.0),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActivityListBody {
    items: Vec<ActivityBody>,
    total: i64,
    page: i64,
    size: i64,
    pages: i64,
}

#[derive(Serialize, ToSchema)]
struct ActivityBody {
    transaction: TransactionBody,
    verb: String,
    object_type: String,
    object_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct TransactionBody {
    id: i64,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    issued_at: String,
    user: Option<UserBody>,
}

#[derive(Serialize, Clone, ToSchema)]
struct UserBody {
    id: i64,
    name: String,
    user_name: String,
    email: String,
}

impl From<audit::ActivityItem> for ActivityBody {
    fn from(item: audit::ActivityItem) -> Self {
        ActivityBody {
            transaction: TransactionBody {
                id: item.transaction_id,
                issued_at: audit::format_instant(item.issued_at),
                user: item.user.map(UserBody::from),
            },
            verb: item.verb,
            object_type: item.object_type,
            object_id: item.object_id,
        }
    }
}

impl From<entity::users::Model> for UserBody {
    fn from(user: entity::users::Model) -> Self {
        UserBody { id: user.id, name: user.name, user_name: user.user_name, email: user.email }
    }
}

/// The activity list
///
/// The log in scope, newest first, a page at a time, with the total and the number of pages.
#[utoipa::path(
    get,
    path = "/api/activity",
    tag = "activity",
    params(openapi::ScopeParams, openapi::ListWindowParams, openapi::PageParams),
    responses((status = 200, description = "A page of the log", body = ActivityListBody), openapi::DataErrors),
    security(("bearer" = []))
)]
async fn list_activity(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<ActivityListBody>, RestError> {
    let (filter, page) = list_request(&Params::new(query), Utc::now()).map_err(AppError::InvalidInput)?;
    let filter = &filter;
    Ok(Json(read(&state, move |db| async move { activity_body(&db, filter, page).await }).await?))
}

/// The list's parameters, or every bad one.
fn list_request(params: &Params, now: DateTime<Utc>) -> Result<(Filter, PageRequest), Vec<FieldError>> {
    let filter = Filter::parse(filter_input(params, "end_date"), Purpose::List, now);
    let mut errors = Errors::default();
    let page = optional(&mut errors, params, "page", |t| parse_int(Field::Page, t));
    let size = optional(&mut errors, params, "size", |t| parse_int(Field::Size, t));
    let ((filter, ()), page) = both_parsed(both_parsed(filter, errors.finish()), PageRequest::parse(page, size))?;
    Ok((filter, page))
}

/// Reads a body from one snapshot of the log, so its figures agree with each other (from a second
/// one if the first met a broken connection: `availability::retry_broken`).
async fn read<T, Body>(state: &AppState, read: impl Fn(Snapshot) -> Body) -> Result<T, AppError>
where
    Body: Future<Output = Result<T, AppError>>,
{
    let db = &state.db;
    retry_broken(db, || {
        let snapshot = Snapshot::new(db);
        let body = read(snapshot.clone());
        async move {
            let body = body.await;
            snapshot.finish().await;
            body
        }
    })
    .await
}

async fn activity_body(db: &Snapshot, filter: &Filter, page: PageRequest) -> Result<ActivityListBody, AppError> {
    let page = audit::list(db, filter, page, audit::Total::Count).await?;
    let items = page.items.into_iter().map(ActivityBody::from).collect();
    Ok(ActivityListBody {
        items,
        total: page.total.unwrap_or_default(),
        page: page.page,
        size: page.size,
        pages: page.pages.unwrap_or_default(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct InsightsBody {
    unique_actors: i64,
    total_actions: i64,
    top_actor: Option<TopActorBody>,
    top_entity_type: Option<TopEntityTypeBody>,
    actions_per_day: Vec<DayBody>,
    /// Only when `interval` is given: the original body otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    chart: Option<Vec<BucketBody>>,
}

#[derive(Serialize, ToSchema)]
struct BucketBody {
    /// The bucket's half-open span in UTC (RFC 3339).
    #[schema(format = DateTime)]
    start: String,
    #[schema(format = DateTime)]
    end: String,
    /// The local dates it covers, inclusive.
    #[schema(format = Date)]
    first_day: String,
    #[schema(format = Date)]
    last_day: String,
    user_count: i64,
    system_count: i64,
}

impl From<audit::Bucket> for BucketBody {
    fn from(bucket: audit::Bucket) -> Self {
        BucketBody {
            start: audit::format_instant(bucket.start),
            end: audit::format_instant(bucket.end),
            first_day: bucket.first_day.format("%Y-%m-%d").to_string(),
            last_day: bucket.last_day.format("%Y-%m-%d").to_string(),
            user_count: bucket.user_count,
            system_count: bucket.system_count,
        }
    }
}

/// pydantic-style names of the week's days, `monday` to `sunday`.
fn parse_weekday(field: Field, text: &str) -> Result<chrono::Weekday, FieldError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "monday" => Ok(chrono::Weekday::Mon),
        "tuesday" => Ok(chrono::Weekday::Tue),
        "wednesday" => Ok(chrono::Weekday::Wed),
        "thursday" => Ok(chrono::Weekday::Thu),
        "friday" => Ok(chrono::Weekday::Fri),
        "saturday" => Ok(chrono::Weekday::Sat),
        "sunday" => Ok(chrono::Weekday::Sun),
        _ => Err(FieldError::not_one_of(
            field,
            "'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'",
        )),
    }
}

#[derive(Serialize, ToSchema)]
struct TopActorBody {
    #[serde(flatten)]
    user: UserBody,
    action_count: i64,
}

#[derive(Serialize, ToSchema)]
struct TopEntityTypeBody {
    object_type: String,
    count: i64,
}

impl From<audit::TopEntityType> for TopEntityTypeBody {
    fn from(top: audit::TopEntityType) -> Self {
        TopEntityTypeBody { object_type: top.object_type, count: top.count }
    }
}

#[derive(Serialize, ToSchema)]
struct DayBody {
    /// A local date of the window.
    #[schema(format = Date)]
    date: String,
    user_count: i64,
    system_count: i64,
}

impl From<audit::DailyActions> for DayBody {
    fn from(day: audit::DailyActions) -> Self {
        DayBody {
            date: day.date.format("%Y-%m-%d").to_string(),
            user_count: day.user_count,
            system_count: day.system_count,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct FacetsBody {
    users: Vec<UserFacetBody>,
    actions: Vec<FacetValueBody>,
    object_types: Vec<FacetValueBody>,
}

#[derive(Serialize, ToSchema)]
struct UserFacetBody {
    /// Null when the account no longer exists.
    user: Option<UserBody>,
    user_id: i64,
    count: i64,
}

#[derive(Serialize, ToSchema)]
struct FacetValueBody {
    value: String,
    count: i64,
}

impl From<audit::ValueCount> for FacetValueBody {
    fn from(value: audit::ValueCount) -> Self {
        FacetValueBody { value: value.value, count: value.count }
    }
}

/// Facets for filter pickers
///
/// The users, actions and object types in scope with their counts, the most frequent first;
/// each facet ignores its own criterion (the users' facet counts every user of the rest of the
/// scope).
#[utoipa::path(
    get,
    path = "/api/activity/facets",
    tag = "activity",
    params(openapi::ScopeParams, openapi::ListWindowParams, openapi::FacetParams),
    responses((status = 200, description = "The facets", body = FacetsBody), openapi::DataErrors),
    security(("bearer" = []))
)]
async fn activity_facets(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<FacetsBody>, RestError> {
    let (filter, limit) = facets_request(&Params::new(query), Utc::now()).map_err(AppError::InvalidInput)?;
    let filter = &filter;
    Ok(Json(read(&state, move |db| async move { facets_body(&db, filter, limit).await }).await?))
}

/// The facets' parameters, or every bad one.
fn facets_request(params: &Params, now: DateTime<Utc>) -> Result<(Filter, audit::FacetLimit), Vec<FieldError>> {
    let filter = Filter::parse(filter_input(params, "end_date"), Purpose::List, now);
    let mut errors = Errors::default();
    let limit = optional(&mut errors, params, "limit", |t| parse_int(Field::Limit, t));
    let limit = audit::FacetLimit::parse(limit).map_err(|error| vec![error]);
    let ((filter, ()), limit) = both_parsed(both_parsed(filter, errors.finish()), limit)?;
    Ok((filter, limit))
}

async fn facets_body(db: &Snapshot, filter: &Filter, limit: audit::FacetLimit) -> Result<FacetsBody, AppError> {
    let facets = audit::facets(db, filter, limit).await?;
    let users = audit::users_by_id(db, facets.users.iter().map(|user| user.user_id)).await?;
    Ok(FacetsBody {
        users: facets
            .users
            .into_iter()
            .map(|facet| UserFacetBody {
                user: users.get(&facet.user_id).cloned().map(UserBody::from),
                user_id: facet.user_id,
                count: facet.count,
            })
            .collect(),
        actions: facets.actions.into_iter().map(Into::into).collect(),
        object_types: facets.object_types.into_iter().map(Into::into).collect(),
    })
}

/// Insights over a window
///
/// Unique actors, total actions, the top actor and entity type, and the actions of each day of
/// the window; with `interval` (and `week_starts_on`) the body adds `chart`.
#[utoipa::path(
    get,
    path = "/api/activity/insights",
    tag = "activity",
    params(openapi::ScopeParams, openapi::InsightsWindowParams, openapi::ChartParams),
    responses((status = 200, description = "The window's figures", body = InsightsBody), openapi::DataErrors),
    security(("bearer" = []))
)]
async fn activity_insights(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<InsightsBody>, RestError> {
    let named = |error: AppError| RestError(error, insights_field_name);
    let (filter, buckets) =
        insights_request(&Params::new(query), Utc::now()).map_err(|errors| named(AppError::InvalidInput(errors)))?;
    let (filter, buckets) = (&filter, &buckets);
    read(&state, move |db| async move { insights_body(&db, filter, buckets.clone()).await })
        .await
        .map(Json)
        .map_err(named)
}

/// The insights' parameters and the chart's buckets when `interval` asks for them, or every bad
/// parameter.
fn insights_request(
    params: &Params,
    now: DateTime<Utc>,
) -> Result<(Filter, Option<Vec<audit::Bucket>>), Vec<FieldError>> {
    let filter = Filter::parse(filter_input(params, "report_date"), Purpose::Insights, now);
    let mut errors = Errors::default();
    let interval = optional(&mut errors, params, "interval", |t| {
        audit::Interval::parse(t.trim())
            .ok_or_else(|| FieldError::not_one_of(Field::Interval, "'hour', 'day', 'week', 'month', 'quarter'"))
    });
    let week_starts_on = optional(&mut errors, params, "week_starts_on", |t| parse_weekday(Field::WeekStartsOn, t))
        .unwrap_or(chrono::Weekday::Mon);
    let (filter, ()) = both_parsed(filter, errors.finish())?;
    let buckets = interval.map(|interval| audit::chart::buckets(&filter, interval, week_starts_on)).transpose();
    buckets.map(|buckets| (filter, buckets)).map_err(|error| vec![error])
}

async fn insights_body(
    db: &Snapshot,
    filter: &Filter,
    buckets: Option<Vec<audit::Bucket>>,
) -> Result<InsightsBody, AppError> {
    let insights = audit::insights(db, filter).await?;
    let top_actor = match insights.top_actor {
        Some(top) => audit::users_by_id(db, [top.user_id])
            .await?
            .remove(&top.user_id)
            .map(|user| TopActorBody { user: user.into(), action_count: top.action_count }),
        None => None,
    };
    Ok(InsightsBody {
        unique_actors: insights.unique_actors,
        total_actions: insights.total_actions,
        top_actor,
        top_entity_type: insights.top_entity_type.map(Into::into),
        actions_per_day: insights.actions_per_day.into_iter().map(Into::into).collect(),
        chart: match buckets {
            Some(buckets) => {
                Some(audit::chart::chart(db, filter, buckets).await?.into_iter().map(Into::into).collect())
            }
            None => None,
        },
    })
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::filter::check_invariants;

    const KEYS: &[&str] = &[
        "users",
        "actions",
        "object_types",
        "start_date",
        "end_date",
        "report_date",
        "timeframe",
        "offset",
        "time_zone",
        "include_internal",
        "page",
        "size",
        "limit",
        "interval",
        "week_starts_on",
    ];

    const VALUES: &[&str] = &[
        "",
        "1",
        "-1",
        "0",
        "840",
        "841",
        "-841",
        "100",
        "101",
        "9223372036854775807",
        "9223372036854775808",
        "2026-06-10",
        "2024-02-29",
        "2026-02-30",
        "0001-01-01",
        "0002-01-01",
        "9998-12-31",
        "9999-12-31",
        "2026-6-1",
        "week",
        "month",
        "quarter",
        "year",
        "WEEK",
        "day",
        "hour",
        "monday",
        "sunday",
        "true",
        "no",
        "maybe",
        "Europe/Berlin",
        "Pacific/Apia",
        "Australia/Lord_Howe",
        "UTC",
        "Mars/Olympus",
        "%00",
        "a%00b",
        "%FF%FE",
        "%C3",
        "%C3%A9",
        "+",
        "%2B",
        "%26",
        "%3D",
        "update",
        "Datastore",
    ];

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => "[a-z_%0-9]{0,8}"]
    }

    /// Values as a fuzzer sends them: the interesting ones, printable noise (`%`, `&`, `=`, `+`
    /// included), percent-encoded bytes of any kind, and long runs.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(VALUES).prop_map(str::to_owned),
            2 => "[ -~]{0,16}",
            2 => prop::collection::vec(any::<u8>(), 0..6)
                .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect::<String>()),
            1 => (0..400usize).prop_map(|n| "a".repeat(n)),
        ]
    }

    fn query() -> impl Strategy<Value = String> {
        let pairs = prop::collection::vec((key(), value()), 0..10);
        pairs.prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"))
    }

    /// A request parsed, or errors that each name a parameter and render as pydantic's 422.
    fn check<T>(
        parsed: Result<(Filter, T), Vec<FieldError>>,
        purpose: Purpose,
        name: FieldNamer,
    ) -> Result<(), TestCaseError> {
        match parsed {
            Ok((filter, _)) => {
                if let Err(broken) = check_invariants(&filter, purpose) {
                    return Err(TestCaseError::fail(broken));
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let body = AppError::InvalidInput(errors).rest_body(name);
                for entry in body["detail"].as_array().into_iter().flatten() {
                    prop_assert!(entry["loc"][1].as_str().is_some_and(|p| !p.is_empty()), "{}", body);
                    prop_assert!(entry["msg"].as_str().is_some_and(|m| !m.is_empty()), "{}", body);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        /// Every query string a client may send is a request of each endpoint, or a 422 that
        /// names each bad parameter; nothing a database cannot take gets through.
        #[test]
        fn every_query_string_is_a_request_or_a_422_naming_its_parameters(query in query()) {
            let params = Params::new(Some(query));
            let now = Utc::now();
            check(list_request(&params, now), Purpose::List, Field::rest_name)?;
            check(facets_request(&params, now), Purpose::List, Field::rest_name)?;
            check(insights_request(&params, now), Purpose::Insights, insights_field_name)?;
        }
    }

    #[test]
    fn values_that_are_not_utf8_are_named_and_others_decode() {
        let params = Params::new(Some("actions=a%FF&object_types=%C3%A9+x&time_zone=Europe%2FBerlin".to_owned()));
        let errors = list_request(&params, Utc::now()).expect_err("not UTF-8");
        assert_eq!(errors, vec![FieldError::not_utf8(Field::Actions)]);
        assert_eq!(params.last("object_types"), Some("é x"));
        assert_eq!(params.last("time_zone"), Some("Europe/Berlin"));
    }
}
