//! How resolvers fail. They return [`ResolverResult`], whose error converts to a GraphQL error in
//! exactly one place, [`AppError::into_graphql`], which adds `extensions.code` and logs what
//! clients must not see. `ResolverError` is deliberately not `Display`: async-graphql turns any
//! `Display` error into a bare message with no code, and this way a `?` cannot take that road.

use std::sync::Arc;

use crate::error::AppError;

pub type ResolverResult<T> = Result<T, ResolverError>;

/// An [`AppError`] already rendered for GraphQL (async-graphql needs resolver errors to be
/// `Clone`, which a database error is not).
#[derive(Clone)]
pub struct ResolverError(async_graphql::Error);

impl<E: Into<AppError>> From<E> for ResolverError {
    fn from(error: E) -> Self {
        ResolverError(error.into().into_graphql())
    }
}

impl From<ResolverError> for async_graphql::Error {
    fn from(error: ResolverError) -> Self {
        error.0
    }
}

/// The DataLoader shares one database error among the fields that waited for it.
impl From<Arc<sea_orm::DbErr>> for AppError {
    fn from(error: Arc<sea_orm::DbErr>) -> Self {
        AppError::from(sea_orm::DbErr::clone(&error))
    }
}
