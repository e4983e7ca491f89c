//! The root `Subscription`: `activityEvents`, the live feed ([`crate::live`]) over WebSocket
//! ([`super::ws`]). Each subscription takes a place on its connection (at most
//! [`MAX_SUBSCRIPTIONS_PER_CONNECTION`]) and among its token's followers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, Subscription as SubscriptionRoot};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::error::{ResolverError, ResolverResult};
use super::query::parse_filter;
use super::types::{Activity, ActivityEdge, ActivityFilter};
use crate::audit::feed::FeedPosition;
use crate::auth::Admin;
use crate::error::AppError;
use crate::filter::{Field, Purpose, both_parsed};
use crate::live::{Hub, Transport};
use crate::telemetry;

/// Subscriptions one WebSocket may have open at once.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 10;

pub struct Subscription;

/// What a WebSocket's `connection_init` admitted: who, and the feed it follows.
#[derive(Clone)]
pub struct Session {
    pub admin: Admin,
    pub hub: Hub,
    /// The connection's open subscriptions.
    open: Arc<AtomicUsize>,
}

impl Session {
    pub fn new(admin: Admin, hub: Hub) -> Self {
        Session { admin, hub, open: Arc::default() }
    }
}

/// A subscription's place on its connection; dropping it frees the place.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Session {
    fn place(&self) -> Option<Place> {
        let taken = self.open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
            (open < MAX_SUBSCRIPTIONS_PER_CONNECTION).then_some(open + 1)
        });
        taken.ok().map(|_| Place(self.open.clone()))
    }
}

#[SubscriptionRoot]
impl Subscription {
    /// Activities as they are written, oldest first, each once: from `after` (a cursor of this
    /// feed: what was missed comes first, then new rows) or from now. An activity is delivered
    /// only once every activity before it is committed, so resuming from the last cursor
    /// received never skips or repeats one. The filter's scope fields apply (`users`, `actions`,
    /// `objectTypes`, `includeInternal`); a window (`startDate`, `endDate`, `timeframe`) is
    /// refused: a feed has no end.
    async fn activity_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        after: Option<String>,
    ) -> Result<BoxStream<'static, ResolverResult<ActivityEdge>>, ResolverError> {
        let session = ctx.data::<Session>().map_err(|_| AppError::Unauthenticated)?;
        let filter = parse_filter(filter, Purpose::Feed);
        let after = after.map(|cursor| FeedPosition::parse(&cursor, Field::After)).transpose().map_err(|e| vec![e]);
        let (filter, after) = both_parsed(filter, after).map_err(AppError::InvalidInput)?;
        let (Some(place), Some(admitted)) =
            (session.place(), session.hub.admit(session.admin.token_id, Transport::WebSocket))
        else {
            telemetry::refused("followers");
            return Err(AppError::TooManyFollowers.into());
        };
        let rows = session.hub.follow(filter, after).await?;
        let edges = rows.map(move |next| {
            // Both places are held as long as the subscription runs.
            let _ = (&place, &admitted);
            let next = next?;
            Ok(ActivityEdge { cursor: next.position.cursor(), node: Activity::with_user(next.item) })
        });
        Ok(edges.boxed())
    }
}
