//! Batches the user look-ups of one request into a single `WHERE id IN (…)` statement.
//! A loader lives for one request only, so nothing cached leaks between callers.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{DatabaseConnection, DbErr};

use crate::audit;

pub struct UserLoader {
    db: DatabaseConnection,
}

impl UserLoader {
    /// A loader for one request.
    pub fn for_request(db: DatabaseConnection) -> DataLoader<UserLoader> {
        DataLoader::new(UserLoader { db }, tokio::spawn)
    }
}

impl Loader<i64> for UserLoader {
    type Value = entity::users::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let users = audit::users_by_id(&self.db, ids).await.map_err(Arc::new)?;
        Ok(users.into_iter().map(|user| (user.id, user)).collect())
    }
}
