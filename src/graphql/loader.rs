//! What resolvers take from the context: the request's snapshot of the log, and its user loader,
//! which batches the user look-ups of one request into a single `WHERE id IN (…)` statement read
//! from the same snapshot. Both live for one request only, so nothing cached leaks between callers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DbErr;

use super::error::ResolverResult;
use crate::audit::{self, Snapshot, WeakSnapshot};

/// Reads users from the request's snapshot, without keeping it open (see [`WeakSnapshot`]).
pub struct UserLoader {
    db: WeakSnapshot,
}

impl UserLoader {
    /// A loader for one request. Its cache lives as long as the request, so a user seen on the
    /// page and again as the top actor is read once, and nothing leaks between callers.
    pub fn for_request(db: &Snapshot) -> DataLoader<UserLoader, HashMapCache> {
        // No batching delay: the page's users come with its rows (see `Query::activity`), and the
        // others in one explicit batch per field, so waiting 1 ms for more keys would only add
        // latency.
        let loader = UserLoader { db: db.downgrade() };
        DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(Duration::ZERO)
    }
}

/// The request's snapshot of the log, attached by the HTTP handler.
pub fn database<'a>(ctx: &Context<'a>) -> ResolverResult<&'a Snapshot> {
    Ok(ctx.data::<Snapshot>().map_err(|_| DbErr::Custom("no snapshot on the request".into()))?)
}

/// The request's loader, attached by the HTTP handler.
pub fn user_loader<'a>(ctx: &Context<'a>) -> ResolverResult<&'a DataLoader<UserLoader, HashMapCache>> {
    Ok(ctx
        .data::<DataLoader<UserLoader, HashMapCache>>()
        .map_err(|_| DbErr::Custom("no user loader on the request".into()))?)
}

impl Loader<i64> for UserLoader {
    type Value = entity::users::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let Some(db) = self.db.upgrade() else {
            return Err(Arc::new(DbErr::Custom("a user batch outlived its request".into())));
        };
        audit::users_by_id(&db, ids.iter().copied()).await.map_err(Arc::new)
    }
}
