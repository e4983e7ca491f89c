//! The GraphQL face: schema, types, resolvers and the per-request user DataLoader.
//!
//! Shape and data are kept apart: [`schema_builder`] declares the types and
//! limits, [`export_sdl`] prints `schema.graphql` without any database, and [`Executor`] runs
//! operations after the request limits ([`limits`]), persisted queries and strict coercion.
//! [`ws`] serves subscriptions over WebSocket.
//! [`http`] is the HTTP handler; it attaches the request's [`crate::audit::Snapshot`] of the log and
//! a fresh [`loader::UserLoader`] over it to each request.

mod coercion;
mod error;
mod executor;
pub mod http;
mod introspection;
mod limits;
pub mod loader;
mod playground;
mod query;
mod rows;
mod subscription;
mod types;
pub mod ws;

use async_graphql::{EmptyMutation, SDLExportOptions, Schema, SchemaBuilder};

pub use executor::Executor;
pub use query::Query;
pub use subscription::{MAX_SUBSCRIPTIONS_PER_CONNECTION, Session, Subscription};

pub type AuditSchema = Schema<Query, EmptyMutation, Subscription>;

/// Very wide documents are refused before they reach the database. There is no depth limit:
/// our types nest five deep at most, and introspection, the only deep part, is bounded by
/// [`limits`] without refusing the standard introspection query.
const MAX_COMPLEXITY: usize = 1_000;

/// The schema's shape, without data.
pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, Subscription> {
    Schema::build(Query, EmptyMutation, Subscription).limit_complexity(MAX_COMPLEXITY)
}

/// The SDL that `schema.graphql` must equal (`audit-gateway schema`).
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(SDLExportOptions::new().include_specified_by())
}
