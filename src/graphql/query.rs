//! The root `Query`: `activity` and `activityInsights`, both over one `ActivityFilter`.

use async_graphql::{Context, Object};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::error::ResolverResult;
use super::loader::user_loader;
use super::types::{ActivityFilter, ActivityInsights, ActivityPage, PageInput};
use crate::audit::{self, PageRequest, Total};
use crate::error::AppError;
use crate::filter::{FieldError, Filter, Purpose};

pub struct Query;

fn db<'a>(ctx: &Context<'a>) -> ResolverResult<&'a DatabaseConnection> {
    Ok(ctx.data::<DatabaseConnection>().map_err(|_| sea_orm::DbErr::Custom("no database on the schema".into()))?)
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
        let (filter, page) = match (filter, page) {
            (Ok(filter), Ok(page)) => (filter, page),
            (filter, page) => {
                let errors = filter.err().into_iter().flatten().chain(page.err().into_iter().flatten()).collect();
                return Err(AppError::InvalidInput(errors).into());
            }
        };
        let wanted = ctx.look_ahead();
        // Count only when `total` or `pages` is selected: on a large window the count is most of
        // the cost, and an infinitely scrolling list does not need it.
        let total =
            if wanted.field("total").exists() || wanted.field("pages").exists() { Total::Count } else { Total::Skip };
        let page = audit::list(db(ctx)?, &filter, page, total).await?;
        if wanted.field("items").field("transaction").field("user").exists() {
            // Load the page's users in one batch up front: the DataLoader's time window alone
            // could split a large page into several statements.
            let ids: Vec<i64> = page.items.iter().filter_map(|item| item.user_id).collect();
            user_loader(ctx)?.load_many(ids).await?;
        }
        Ok(page.into())
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
        Ok(insights.into())
    }
}
