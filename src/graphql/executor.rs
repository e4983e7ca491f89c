//! One operation's way from the HTTP body to async-graphql's executor, in this order: the text's
//! limits, automatic persisted queries (Apollo's protocol), the parsed document's limits, strict
//! input coercion, and the price of its database work taken from the request's budget; then the
//! schema executes it.
//!
//! These steps run here rather than as async-graphql extensions: a schema with any extension routes
//! every field of every response through the extension chain (a boxed future and a registry
//! look-up per field), the largest part of rendering a page of rows. Only the correction of
//! `__schema { description }` needs to see fields, so only documents that ask for `__schema` run on
//! the schema that has it ([`introspection`]). While spans are exported ([`crate::traces`]),
//! async-graphql's tracing extension is on every schema, at that cost.

use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::registry::Registry;
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::OperationType;
use async_graphql::{
    Data, EmptyMutation, OutputType, Request, Response, SchemaBuilder, ServerError, ServerResult, SubscriptionType,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::limits::{self, Budget};
use super::{AuditSchema, Query, Subscription, coercion, introspection, schema_builder};
use crate::audit::Snapshot;
use crate::traces;

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
        let mut registry = Registry {
            query_type: Query::type_name().into_owned(),
            subscription_type: Some(<Subscription as SubscriptionType>::type_name().into_owned()),
            ..Registry::default()
        };
        Query::create_type_info(&mut registry);
        <Subscription as SubscriptionType>::create_type_info(&mut registry);
        Executor {
            schema: traced(schema_builder()).finish(),
            introspection: traced(schema_builder()).extension(introspection::SchemaDescription).finish(),
            registry,
            persisted: LruCacheStorage::new(PERSISTED_QUERIES),
        }
    }
}

/// The schema with async-graphql's spans while spans are exported ([`traces`]); without them
/// otherwise, since the extension costs every field a call.
fn traced(
    builder: SchemaBuilder<Query, EmptyMutation, Subscription>,
) -> SchemaBuilder<Query, EmptyMutation, Subscription> {
    if traces::exporting() { builder.extension(async_graphql::extensions::Tracing) } else { builder }
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
    /// `alone`: the request is the HTTP request's only operation, so if it reads once
    /// ([`limits::reads_once`]) its snapshot needs no transaction.
    pub async fn execute(&self, request: Request, db: &Snapshot, budget: &Budget, alone: bool) -> Response {
        match self.prepare(request, db, budget, alone).await {
            Ok((request, asks_for_schema)) => {
                let schema = if asks_for_schema { &self.introspection } else { &self.schema };
                schema.execute(request).await
            }
            Err(error) => Response::from_errors(vec![error]),
        }
    }

    /// Runs a subscription that a WebSocket's client sent, with the connection's `session` data,
    /// after the same limits as an HTTP request's (its database work: a page of the log). Queries
    /// and mutations are refused: they go over HTTP.
    pub fn subscribe(
        self: &Arc<Self>,
        request: Request,
        session: Arc<Data>,
        db: &sea_orm::DatabaseConnection,
    ) -> BoxStream<'static, Response> {
        let (executor, db) = (self.clone(), db.clone());
        let prepared = async move {
            let snapshot = Snapshot::new(&db);
            let prepared = executor.prepare_subscription(request, &snapshot).await;
            snapshot.finish().await;
            match prepared {
                Ok(request) => executor.schema.execute_stream_with_session_data(request, session),
                Err(error) => stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
            }
        };
        stream::once(prepared).flatten().boxed()
    }

    async fn prepare_subscription(&self, mut request: Request, db: &Snapshot) -> ServerResult<Request> {
        limits::check_variables(&request.variables)?;
        let document = parse(&request.query)?;
        let operation_name = request.operation_name.as_deref();
        if limits::operation_type(&document, operation_name) != Some(OperationType::Subscription) {
            return Err(limits::wrong_request(
                "only subscriptions are served over WebSocket; send queries to POST /graphql",
            ));
        }
        coercion::check_document(&self.registry, &document, &request.variables)?;
        limits::charge(&Budget::new(), db, &document, operation_name, &request.variables).await?;
        crate::telemetry::operation(operation_name);
        request.set_parsed_query(document);
        Ok(request)
    }

    /// The request with its document parsed and checked, and whether it asks for `__schema`.
    async fn prepare(
        &self,
        mut request: Request,
        db: &Snapshot,
        budget: &Budget,
        alone: bool,
    ) -> ServerResult<(Request, bool)> {
        limits::check_variables(&request.variables)?;
        let document = match request.extensions.remove("persistedQuery") {
            Some(persisted) => self.persisted_document(&request.query, persisted).await?,
            None => parse(&request.query)?,
        };
        if limits::operation_type(&document, request.operation_name.as_deref()) == Some(OperationType::Subscription) {
            return Err(limits::wrong_request(
                "subscriptions are served over WebSocket at /graphql (graphql-transport-ws or graphql-ws)",
            ));
        }
        coercion::check_document(&self.registry, &document, &request.variables)?;
        limits::charge(budget, db, &document, request.operation_name.as_deref(), &request.variables).await?;
        if alone && limits::reads_once(&document, request.operation_name.as_deref()) {
            db.read_once();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::loader::UserLoader;
    use crate::graphql::rows::tests::log;

    async fn run(executor: &Executor, db: &sea_orm::DatabaseConnection, query: &str, alone: bool) -> (Response, bool) {
        let snapshot = Snapshot::new(db);
        let request = Request::new(query).data(snapshot.clone()).data(UserLoader::for_request(&snapshot));
        let response = executor.execute(request, &snapshot, &Budget::new(), alone).await;
        let began = snapshot.began();
        snapshot.finish().await;
        assert!(response.errors.is_empty(), "{query}: {:?}", response.errors);
        (response, began)
    }

    #[tokio::test]
    async fn a_page_without_a_count_or_a_cursor_reads_once_without_a_transaction() {
        let (db, path) = log("executor").await;
        let executor = Executor::default();
        let page = "{ activityConnection(first: 2) { pageInfo { endCursor } edges { node { id transaction { user { name } } } } } }";
        let (first, began) = run(&executor, &db, page, true).await;
        assert!(!began, "the plain page began a transaction");
        let data = first.data.into_json().expect("json");
        let cursor = data["activityConnection"]["pageInfo"]["endCursor"].as_str().expect("a cursor").to_owned();
        let reads_once = [
            "{ __typename activityConnection { ...Page } } fragment Page on ActivityConnection { edges { cursor } }",
            "{ activityConnection(last: 1, filter: { users: [\"1\"] }) { edges { node { verb } } } }",
        ];
        let reads_more = [
            "{ activityConnection { totalCount } }".to_owned(),
            format!("{{ activityConnection(after: \"{cursor}\") {{ pageInfo {{ hasPreviousPage }} }} }}"),
            "{ a: activityConnection { edges { cursor } } b: activityConnection { edges { cursor } } }".to_owned(),
            "{ activity { items { id } } }".to_owned(),
            "{ activityInsights { totalActions } }".to_owned(),
        ];
        for query in reads_once {
            assert!(!run(&executor, &db, query, true).await.1, "{query}");
        }
        for query in &reads_more {
            assert!(run(&executor, &db, query, true).await.1, "{query}");
        }
        // One operation of a batch shares the snapshot with the others.
        assert!(run(&executor, &db, page, false).await.1);
        db.close().await.expect("close");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
