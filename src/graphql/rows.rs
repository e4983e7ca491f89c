//! The lists of activities (`ActivityPage.items`, `ActivityConnection.edges`), rendered in one
//! pass over their selection instead of field by field.
//!
//! async-graphql resolves every field of every row as a future of its own, and a page of 50
//! activities with their transactions and users is some 750 fields: that was most of the
//! gateway's time for the audit page's most frequent request. These rows are plain data (no field
//! takes arguments, none can fail, the users are already in the request's loader), so [`Rows`]
//! writes each row's selected fields straight into its value. Whatever it does not expect (a field
//! it does not know, a directive, a fragment on another type, a response key selected twice,
//! which async-graphql merges) it leaves to async-graphql, which then renders the whole list as
//! before; so does a request carrying [`FieldByField`], which the tests use to compare the two.

use std::borrow::Cow;
use std::collections::HashMap;

use async_graphql::context::ContextSelectionSet;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{Name, OutputType, Positioned, ServerResult, Value};
use indexmap::IndexMap;

use async_graphql::dataloader::{DataLoader, HashMapCache};

use super::loader::UserLoader;

/// A list of activities or edges, in `T`'s GraphQL type, rendered in one pass when it can be.
pub(crate) struct Rows<T>(pub Vec<T>);

/// Marks a request whose lists async-graphql renders field by field (tests compare the two).
pub(crate) struct FieldByField;

/// What rendering a row needs besides the row: the document's fragments and the rows' users.
pub(crate) struct Render<'a> {
    fragments: &'a HashMap<Name, Positioned<async_graphql::parser::types::FragmentDefinition>>,
    /// The users of the rows, by id.
    pub users: &'a HashMap<i64, entity::users::Model>,
}

/// A row type whose fields the one-pass rendering knows.
pub(crate) trait Row {
    const TYPE_NAME: &'static str;

    /// The value of the field `name` with the sub-selection `set`; `None` for a field it does not
    /// know.
    fn field(&self, name: &str, set: &SelectionSet, render: &Render<'_>) -> Option<Value>;

    /// The user a row of a list shows, whose record the list fetches (with the others) first.
    fn user_id(&self) -> Option<i64> {
        None
    }
}

impl<T: OutputType + Row> OutputType for Rows<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        if ctx.data_opt::<FieldByField>().is_none()
            && let Some(value) = self.render(ctx).await
        {
            return Ok(value);
        }
        OutputType::resolve(&self.0, ctx, field).await
    }
}

impl<T: Row> Rows<T> {
    /// Every row rendered over the list's selection, or `None` when async-graphql must do it.
    async fn render(&self, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
        // The users come from the request's loader (the page's statement fed it), as one batch.
        let ids: Vec<i64> = self.0.iter().filter_map(Row::user_id).collect();
        let users = match ctx.data_opt::<DataLoader<UserLoader, HashMapCache>>() {
            _ if ids.is_empty() => HashMap::new(),
            Some(loader) => loader.load_many(ids).await.ok()?,
            None => return None,
        };
        let render = Render { fragments: &ctx.query_env.fragments, users: &users };
        let rows = self.0.iter().map(|row| render.object(row, &ctx.item.node)).collect::<Option<Vec<_>>>()?;
        Some(Value::List(rows))
    }
}

impl Render<'_> {
    /// `row` rendered over `set`, or `None` when async-graphql must render it.
    pub fn object<T: Row>(&self, row: &T, set: &SelectionSet) -> Option<Value> {
        let mut fields = IndexMap::new();
        self.collect(row, set, &mut fields)?;
        Some(Value::Object(fields))
    }

    fn collect<T: Row>(&self, row: &T, set: &SelectionSet, fields: &mut IndexMap<Name, Value>) -> Option<()> {
        for selection in &set.items {
            // `@skip` and `@include` are gone by now; any other directive is async-graphql's.
            if !selection.node.directives().is_empty() {
                return None;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = &field.response_key().node;
                    if !field.arguments.is_empty() || fields.contains_key(key) {
                        return None;
                    }
                    let name = field.name.node.as_str();
                    let value = match name {
                        "__typename" => Value::String(T::TYPE_NAME.to_owned()),
                        _ => row.field(name, &field.selection_set.node, self)?,
                    };
                    fields.insert(key.clone(), value);
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = &self.fragments.get(&spread.node.fragment_name.node)?.node;
                    if fragment.type_condition.node.on.node != T::TYPE_NAME {
                        return None;
                    }
                    self.collect(row, &fragment.selection_set.node, fields)?;
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    if inline.type_condition.as_ref().is_some_and(|on| on.node.on.node != T::TYPE_NAME) {
                        return None;
                    }
                    self.collect(row, &inline.selection_set.node, fields)?;
                }
            }
        }
        Some(())
    }
}

/// A text field's value.
pub(super) fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// A nullable field's value.
pub(super) fn optional<T>(value: Option<T>, render: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, render)
}

/// The fields the one-pass rendering knows, by type (a test holds them to the schema's).
#[cfg(test)]
pub(super) const KNOWN_FIELDS: [(&str, &[&str]); 4] = [
    ("ActivityEdge", &["cursor", "node"]),
    ("Activity", &["id", "transaction", "verb", "objectType", "objectId", "data"]),
    ("Transaction", &["id", "issuedAt", "remoteAddr", "user"]),
    ("User", &["id", "name", "userName", "email", "isInternal"]),
];

#[cfg(test)]
pub(super) mod tests {
    use async_graphql::{Request, Variables};
    use sea_orm::{ConnectionTrait, DatabaseConnection};
    use serde_json::json;

    use super::*;
    use crate::audit::Snapshot;
    use crate::db::{self, DbConfig};
    use crate::graphql::schema_builder;

    /// A log of four activities: a user's with a payload and an address, a system action, an
    /// internal account's, and one without an object.
    pub(in crate::graphql) async fn log(name: &str) -> (DatabaseConnection, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!("audit-gateway-{name}-{}.db", std::process::id()));
        let db = db::connect(&DbConfig::new(format!("sqlite://{}?mode=rwc", path.display()))).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        for sql in [
            "INSERT INTO users (id, name, user_name, email, role, is_internal) VALUES \
             (1, 'Ada', 'ada', 'ada@example.com', 'Admin', false), (2, 'Svc', 'svc', 'svc@example.com', 'Member', true)",
            "INSERT INTO \"transaction\" (id, issued_at, user_id, remote_addr) VALUES \
             (1, '2026-06-01 10:00:00', 1, '10.0.0.1'), (2, '2026-06-02 11:00:00.250', NULL, NULL), \
             (3, '2026-06-03 12:00:00', 2, NULL)",
            "INSERT INTO activity (id, verb, transaction_id, object_type, object_id, data) VALUES \
             (1, 'create', 1, 'Datastore', 7, '{\"b\": [1, 2], \"a\": \"x\"}'), (2, 'update', 2, 'Check', 8, NULL), \
             (3, 'delete', 3, 'Tag', NULL, 'not json'), (4, 'archive', 3, 'Tag', 9, NULL)",
        ] {
            db.execute_unprepared(sql).await.expect("insert");
        }
        (db, path)
    }

    async fn execute(
        db: &DatabaseConnection,
        query: &str,
        variables: serde_json::Value,
        field_by_field: bool,
    ) -> String {
        let snapshot = Snapshot::new(db);
        let mut request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(snapshot.clone())
            .data(super::super::loader::UserLoader::for_request(&snapshot));
        if field_by_field {
            request = request.data(FieldByField);
        }
        let response = schema_builder().finish().execute(request).await;
        snapshot.finish().await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        serde_json::to_string(&response.data).expect("json")
    }

    #[tokio::test]
    async fn rows_render_as_async_graphql_renders_them() {
        let (db, path) = log("rows").await;
        let everything = "cursor node { __typename id verb objectType objectId data \
                          transaction { __typename id issuedAt remoteAddr user { __typename id name userName email isInternal } } }";
        let documents = [
            format!("{{ activityConnection(first: 10) {{ edges {{ {everything} }} }} }}"),
            format!("{{ c: activityConnection(last: 2) {{ e: edges {{ {everything} }} }} }}"),
            "{ activity { items { id t: transaction { when: issuedAt user { userName } } verb } } }".to_owned(),
            // Fragments, named and inline, nested, and aliases.
            "query { activityConnection { edges { ...Edge } } } \
             fragment Edge on ActivityEdge { cursor node { ...Node ... on Activity { verb } } } \
             fragment Node on Activity { id transaction { ... { id user { ...U } } } } \
             fragment U on User { name email }"
                .to_owned(),
            // A key selected twice: async-graphql merges it.
            "{ activityConnection { edges { node { transaction { id } transaction { issuedAt } } } } }".to_owned(),
            // `@skip` and `@include`, by literal and by variable.
            "query($yes: Boolean!) { activity { items { id @include(if: $yes) verb @skip(if: $yes) \
             transaction @include(if: true) { user @skip(if: false) { id } } } } }"
                .to_owned(),
        ];
        for document in &documents {
            let variables = json!({ "yes": true });
            let one_pass = execute(&db, document, variables.clone(), false).await;
            let field_by_field = execute(&db, document, variables, true).await;
            assert_eq!(one_pass, field_by_field, "{document}");
            assert!(one_pass.contains("\"id\""), "{one_pass}");
        }
        db.close().await.expect("close");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[tokio::test]
    async fn rows_know_every_field_of_their_types() {
        let schema = schema_builder().finish();
        for (type_name, known) in KNOWN_FIELDS {
            let query = format!("{{ __type(name: \"{type_name}\") {{ fields {{ name }} }} }}");
            let data = schema.execute(query).await.data.into_json().expect("json");
            let mut fields: Vec<&str> = data["__type"]["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .filter_map(|f| f["name"].as_str())
                .collect();
            let mut known = known.to_vec();
            fields.sort_unstable();
            known.sort_unstable();
            assert_eq!(
                fields, known,
                "{type_name}: a field the one-pass rendering does not know is rendered field by field"
            );
        }
    }
}
