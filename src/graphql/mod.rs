//! The GraphQL face: schema, types, resolvers and the per-request user DataLoader.
//!
//! Shape and data are kept apart (STYLE.md point 6): [`schema_builder`] declares the types and
//! limits, [`export_sdl`] prints `schema.graphql` without any database, and [`build_schema`] adds
//! the connection and the request limits ([`limits`]). [`http`] is the HTTP handler; it attaches a
//! fresh [`loader::UserLoader`] to each request.

mod error;
pub mod http;
mod limits;
pub mod loader;
mod query;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub use query::Query;

pub type AuditSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Deep or very wide documents are refused before they reach the database.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 1_000;

/// The schema's shape, without data.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query, EmptyMutation, EmptySubscription).limit_depth(MAX_DEPTH).limit_complexity(MAX_COMPLEXITY)
}

/// The SDL that `schema.graphql` must equal (`audit-gateway schema`).
pub fn export_sdl() -> String {
    schema_builder().finish().sdl()
}

/// The executable schema over `db`, with the request limits.
pub fn build_schema(db: DatabaseConnection) -> AuditSchema {
    schema_builder().extension(limits::RequestLimits).data(db).finish()
}
