//! The root `Query`: `activity` and `activityInsights`, both over one `ActivityFilter`.

use async_graphql::{Context, Object};
use chrono::Utc;

use super::error::ResolverResult;
use super::loader::{database as db, user_loader};
use super::types::{ActivityConnection, ActivityFacets, ActivityFilter, ActivityInsights, ActivityPage, PageInput};
use crate::audit::{self, PageRequest, Total};
use crate::error::AppError;
use crate::filter::{FieldError, Filter, Purpose, both_parsed};

pub struct Query;

/// Gives the request's user loader the users the page's statement read with its rows, so that
/// resolving them (and any other field asking for the same users) costs no statement.
async fn feed_users(ctx: &Context<'_>, items: &[audit::ActivityItem]) -> ResolverResult<()> {
    let users = items.iter().filter_map(|item| item.user.as_ref()).map(|user| (user.id, user.clone()));
    user_loader(ctx)?.feed_many(users).await;
    Ok(())
}

/// Checks the filter against every rule, reporting all bad fields at once.
pub(super) fn parse_filter(filter: Option<ActivityFilter>, purpose: Purpose) -> Result<Filter, Vec<FieldError>> {
    Filter::parse(filter.unwrap_or_default().into_input(), purpose, Utc::now())
}

#[Object]
impl Query {
    /// Activities matching the filter, newest first (`issuedAt`, then id, descending).
    async fn activity(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        page: Option<PageInput>,
    ) -> ResolverResult<ActivityPage> {
        let filter = parse_filter(filter, Purpose::List);
        let page = PageRequest::parse(page.map(|p| p.page), page.map(|p| p.size));
        let (filter, page) = both_parsed(filter, page).map_err(AppError::InvalidInput)?;
        let wanted = ctx.look_ahead();
        // Count only when `total` or `pages` is selected: on a large window the count is most of
        // the cost, and an infinitely scrolling list does not need it.
        let total =
            if wanted.field("total").exists() || wanted.field("pages").exists() { Total::Count } else { Total::Skip };
        let page = audit::list(db(ctx)?, &filter, page, total).await?;
        feed_users(ctx, &page.items).await?;
        Ok(page.into())
    }

    /// The same activities as `activity`, in the same order, as a Relay connection: `first`
    /// (default 50) after a cursor, or `last` before one, at most 100. Each page is a seek from its
    /// cursor, so page 10,000 costs what page 1 costs, and rows written meanwhile never shift,
    /// repeat or skip the rows after a cursor. Without dates or a timeframe: all time.
    async fn activity_connection(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        first: Option<i64>,
        after: Option<String>,
        last: Option<i64>,
        before: Option<String>,
    ) -> ResolverResult<ActivityConnection> {
        let filter = parse_filter(filter, Purpose::List);
        let slice = audit::Slice::parse(first, after.as_deref(), last, before.as_deref());
        let (filter, slice) = both_parsed(filter, slice).map_err(AppError::InvalidInput)?;
        let page = audit::connection(db(ctx)?, &filter, &slice).await?;
        feed_users(ctx, &page.items).await?;
        Ok(ActivityConnection::new(filter, page))
    }

    /// Which users, verbs and object types occur in scope, with their counts, for filter pickers.
    /// Each facet counts under every filter field but its own (choosing one user still lists the
    /// others). Ordered by count descending, then id or value; at most `limit` (1 to 1,000) each.
    /// Without dates or a timeframe: all time.
    async fn activity_facets(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        #[graphql(default_with = "audit::FacetLimit::DEFAULT")] limit: i64,
    ) -> ResolverResult<ActivityFacets> {
        let filter = parse_filter(filter, Purpose::List);
        let limit = audit::FacetLimit::parse(Some(limit)).map_err(|error| vec![error]);
        let (filter, limit) = both_parsed(filter, limit).map_err(AppError::InvalidInput)?;
        let facets = audit::facets(db(ctx)?, &filter, limit).await?;
        if ctx.look_ahead().field("users").field("user").exists() {
            user_loader(ctx)?.load_many(facets.users.iter().map(|user| user.user_id)).await?;
        }
        Ok(facets.into())
    }

    /// Summary cards and the daily chart. The window ends on `endDate` (default: today) and spans
    /// `timeframe` (default: `MONTH`), or runs from `startDate` when no timeframe is given (at most
    /// 3,660 days).
    async fn activity_insights(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
    ) -> ResolverResult<ActivityInsights> {
        let filter = parse_filter(filter, Purpose::Insights).map_err(AppError::InvalidInput)?;
        let insights = audit::insights(db(ctx)?, &filter).await?;
        Ok(ActivityInsights::new(insights, filter))
    }
}
