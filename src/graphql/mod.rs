//! The GraphQL face: schema, types, resolvers and the per-request user DataLoader.
//!
//! Shape and data are kept apart: [`schema_builder`] declares the types and
//! limits, [`export_sdl`] prints `schema.graphql` without any database, and [`build_schema`] adds
//! the request limits ([`limits`]). [`http`] is the HTTP handler; it attaches the request's
//! [`crate::audit::Snapshot`] of the log and a fresh [`loader::UserLoader`] over it to each request.

mod coercion;
mod error;
pub mod http;
mod introspection;
mod limits;
pub mod loader;
mod playground;
mod query;
mod types;

use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{EmptyMutation, EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};

pub use query::Query;

pub type AuditSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Very wide documents are refused before they reach the database. There is no depth limit:
/// our types nest five deep at most, and introspection, the only deep part, is bounded by
/// [`limits`] without refusing the standard introspection query.
const MAX_COMPLEXITY: usize = 1_000;

/// The schema's shape, without data.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query, EmptyMutation, EmptySubscription).limit_complexity(MAX_COMPLEXITY)
}

/// The SDL that `schema.graphql` must equal (`audit-gateway schema`).
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(SDLExportOptions::new().include_specified_by())
}

/// Automatic persisted queries kept in memory, per replica (a client re-sends a query the replica
/// does not know).
const PERSISTED_QUERIES: usize = 1_000;

/// The executable schema, with the request limits and automatic persisted queries. Each request
/// brings its own snapshot of the database ([`http`]).
pub fn build_schema() -> AuditSchema {
    // The limits come first: they check a query's text before the persisted-query extension
    // parses it.
    schema_builder()
        .extension(limits::RequestLimits)
        .extension(coercion::StrictCoercion)
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(PERSISTED_QUERIES)))
        .extension(introspection::SchemaDescription)
        .finish()
}
