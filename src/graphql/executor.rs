//! One operation's way from the HTTP body to async-graphql's executor, in this order: the text's
//! limits, automatic persisted queries (Apollo's protocol), the parsed document's limits, strict
//! input coercion, and the price of its database work taken from the request's budget; then the
//! schema executes it.
//!
//! These steps run here rather than as async-graphql extensions: a schema with any extension routes
//! every field of every response through the extension chain (a boxed future and a registry
//! look-up per field), the largest part of rendering a page of rows. Only the correction of
//! `__schema { description }` needs to see fields, so only documents that ask for `__schema` run on
//! the schema that has it ([`introspection`]).

use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::registry::Registry;
use async_graphql::{OutputType, Request, Response, ServerError, ServerResult};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::limits::{self, Budget};
use super::{AuditSchema, Query, coercion, introspection, schema_builder};
use crate::audit::Snapshot;

/// Automatic persisted queries kept in memory, per replica (a client re-sends a query the replica
/// does not know).
const PERSISTED_QUERIES: usize = 1_000;

/// Runs operations: the schema, and what each operation passes before it.
pub struct Executor {
    schema: AuditSchema,
    /// The same schema, with introspection's `__schema { description }` corrected.
    introspection: AuditSchema,
    /// The schema's types, for the coercion check.
    registry: Registry,
    persisted: LruCacheStorage,
}

impl Default for Executor {
    fn default() -> Self {
        let mut registry = Registry { query_type: Query::type_name().into_owned(), ..Registry::default() };
        Query::create_type_info(&mut registry);
        Executor {
            schema: schema_builder().finish(),
            introspection: schema_builder().extension(introspection::SchemaDescription).finish(),
            registry,
            persisted: LruCacheStorage::new(PERSISTED_QUERIES),
        }
    }
}

/// The `persistedQuery` member of a request's `extensions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i32,
    sha256_hash: String,
}

impl Executor {
    /// Checks `request` and, if it passes, executes it over `db`. A request refused before it
    /// executes gets a response with its error alone (no path: the client's to fix).
    pub async fn execute(&self, request: Request, db: &Snapshot, budget: &Budget) -> Response {
        match self.prepare(request, db, budget).await {
            Ok((request, asks_for_schema)) => {
                let schema = if asks_for_schema { &self.introspection } else { &self.schema };
                schema.execute(request).await
            }
            Err(error) => Response::from_errors(vec![error]),
        }
    }

    /// The request with its document parsed and checked, and whether it asks for `__schema`.
    async fn prepare(&self, mut request: Request, db: &Snapshot, budget: &Budget) -> ServerResult<(Request, bool)> {
        limits::check_variables(&request.variables)?;
        let document = match request.extensions.remove("persistedQuery") {
            Some(persisted) => self.persisted_document(&request.query, persisted).await?,
            None => parse(&request.query)?,
        };
        coercion::check_document(&self.registry, &document, &request.variables)?;
        limits::charge(budget, db, &document, request.operation_name.as_deref(), &request.variables).await?;
        let asks_for_schema = introspection::selects_schema(&document);
        request.set_parsed_query(document);
        Ok((request, asks_for_schema))
    }

    /// Apollo's automatic persisted queries: a hash alone names a document this replica was sent
    /// before (else `PersistedQueryNotFound`, and the client sends the text); a text with its hash
    /// is checked, remembered and run.
    async fn persisted_document(
        &self,
        query: &str,
        persisted: async_graphql::Value,
    ) -> ServerResult<ExecutableDocument> {
        let persisted: PersistedQuery = async_graphql::from_value(persisted)
            .map_err(|_| ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None))?;
        if persisted.version != 1 {
            let message = format!(
                "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{}\".",
                persisted.version
            );
            return Err(ServerError::new(message, None));
        }
        if query.is_empty() {
            // Its text passed the limits when it was remembered.
            return self
                .persisted
                .get(persisted.sha256_hash)
                .await
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None));
        }
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        if persisted.sha256_hash != hash {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let document = parse(query)?;
        self.persisted.set(hash, document.clone()).await;
        Ok(document)
    }
}

/// Parses a document within the limits: its text is checked before the parser sees it, the
/// parsed document before validation does.
fn parse(query: &str) -> ServerResult<ExecutableDocument> {
    limits::check_text(query)?;
    let document = async_graphql::parser::parse_query(query)?;
    limits::check_document(&document)?;
    Ok(document)
}
