//! Introspection as graphql-js reads it. async-graphql answers `__schema { description }` with a
//! fixed text that describes the `__Schema` type itself; this schema has no description of its own,
//! so the answer is null, and a schema built from introspection prints exactly like
//! `schema.graphql`.
//!
//! The correction is an extension, and an extension sees every field of every response: only the
//! documents that ask for `__schema` ([`selects_schema`]) run on the schema that has it.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerResult, Value};

/// Whether an operation of `document` selects `Query.__schema` (directly or through fragments).
pub fn selects_schema(document: &ExecutableDocument) -> bool {
    fn selects<'d>(document: &'d ExecutableDocument, set: &'d SelectionSet, seen: &mut HashSet<&'d str>) -> bool {
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => field.node.name.node == "__schema",
            Selection::InlineFragment(inline) => selects(document, &inline.node.selection_set.node, seen),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                seen.insert(name.as_str())
                    && document
                        .fragments
                        .get(name)
                        .is_some_and(|fragment| selects(document, &fragment.node.selection_set.node, seen))
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| selects(document, &operation.node.selection_set.node, &mut HashSet::new()))
}

/// Answers `__schema { description }` with null.
pub struct SchemaDescription;

impl ExtensionFactory for SchemaDescription {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SchemaDescription)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SchemaDescription {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "__Schema" && info.name == "description" {
            return Ok(Some(Value::Null));
        }
        next.run(ctx, info).await
    }
}
