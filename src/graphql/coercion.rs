//! Input coercion, checked strictly before anything executes: every argument and variable value
//! must be of its declared type, or the request is refused as the client's mistake
//! (`BAD_USER_INPUT` naming the field, no `data`; a 400 under `application/graphql-response+json`).
//!
//! async-graphql's validation leaves gaps that would otherwise surface during execution, as
//! errors with a path and no code (which the gateway must treat as its own bug): it checks no
//! variable value against its declared type, lets any literal stand for an input object, and
//! accepts a string literal where an enum value belongs. The GraphQL spec refuses all three: an
//! input object is an object, and an enum literal is a name (`WEEK`), while a variable, being
//! JSON, carries it as a string (`"WEEK"`).
//!
//! The walk follows the schema's registry; whatever it cannot place (an unknown field or type) it
//! leaves to validation, which names it better.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, ServerError, ServerResult, Value, Variables};
use async_graphql_value::Value as Literal;

/// Checks every operation's variables and every literal argument of `document`.
pub(super) fn check_document(
    registry: &Registry,
    document: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            let definition = &definition.node;
            let name = definition.name.node.as_str();
            let ty = definition.var_type.node.to_string();
            let path = Path::root(format!("${name}"));
            match variables.get(&definition.name.node) {
                Some(value) => check(registry, &ty, &value.clone().into_value(), Source::Variable, &path)?,
                None if definition.var_type.node.nullable || definition.default_value.is_some() => {}
                None => return Err(path.error(format!("a value of type \"{ty}\" must be provided"))),
            }
        }
        let root = match operation.node.ty {
            OperationType::Subscription => registry.subscription_type.as_deref().unwrap_or_default(),
            OperationType::Query | OperationType::Mutation => registry.query_type.as_str(),
        };
        let walk = Walk { registry, document };
        walk.selection_set(root, &operation.node.selection_set.node, &mut HashSet::new())?;
    }
    Ok(())
}

/// Where a value comes from: the document's text or a JSON variable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Literal,
    Variable,
}

/// The names leading to a value (`filter.startDate`, `$f.users[2]`), for the error.
struct Path {
    text: String,
    /// The innermost name: the field the error is about.
    field: String,
}

impl Path {
    fn root(name: String) -> Path {
        Path { field: name.trim_start_matches('$').to_owned(), text: name }
    }

    fn field(&self, name: &str) -> Path {
        Path { text: format!("{}.{name}", self.text), field: name.to_owned() }
    }

    fn index(&self, index: usize) -> Path {
        Path { text: format!("{}[{index}]", self.text), field: self.field.clone() }
    }

    fn error(&self, problem: String) -> ServerError {
        let mut error = ServerError::new(format!("{}: {problem}", self.text), None);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", "BAD_USER_INPUT");
        extensions.set("field", self.field.as_str());
        extensions.set("fields", Value::List(vec![Value::from(self.field.as_str())]));
        error
    }
}

/// Walks the selections to find each field's declared arguments.
struct Walk<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
}

impl<'a> Walk<'a> {
    fn selection_set(&self, parent: &str, set: &'a SelectionSet, spread: &mut HashSet<&'a str>) -> ServerResult<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some(meta) = self.registry.types.get(parent).and_then(MetaType::fields) else { continue };
                    let Some(meta) = meta.get(field.name.node.as_str()) else { continue };
                    for (name, value) in &field.arguments {
                        let Some(argument) = meta.args.get(name.node.as_str()) else { continue };
                        let path = Path::root(name.node.to_string());
                        check(self.registry, &argument.ty, &value.node, Source::Literal, &path)?;
                    }
                    let inner = MetaTypeName::concrete_typename(&meta.ty);
                    self.selection_set(inner, &field.selection_set.node, spread)?;
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let on = inline.type_condition.as_ref().map_or(parent, |on| on.node.on.node.as_str());
                    self.selection_set(on, &inline.selection_set.node, spread)?;
                }
                Selection::FragmentSpread(fragment_spread) => {
                    let name = &fragment_spread.node.fragment_name.node;
                    // Each fragment once: its arguments are the same wherever it is spread.
                    if let Some(fragment) = self.document.fragments.get(name)
                        && spread.insert(name.as_str())
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(on, &fragment.node.selection_set.node, spread)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks `value` against the GraphQL type `ty` (`ActivityFilter`, `[String!]`, `Int!`).
fn check(registry: &Registry, ty: &str, value: &Literal, source: Source, path: &Path) -> ServerResult<()> {
    if let Literal::Variable(_) = value {
        // Checked against its own definition; validation checks it fits this position.
        return Ok(());
    }
    let expected = || path.error(format!("expected a value of type \"{ty}\", found {value}"));
    match MetaTypeName::create(ty) {
        MetaTypeName::NonNull(inner) => match value {
            Literal::Null => Err(expected()),
            _ => check(registry, inner, value, source, path),
        },
        MetaTypeName::List(inner) => match value {
            Literal::List(items) => {
                items.iter().enumerate().try_for_each(|(i, item)| check(registry, inner, item, source, &path.index(i)))
            }
            // A single value stands for a list of one.
            _ => check(registry, inner, value, source, path),
        },
        MetaTypeName::Named(_) if matches!(value, Literal::Null) => Ok(()),
        MetaTypeName::Named(name) => match registry.types.get(name) {
            Some(MetaType::Scalar { is_valid: Some(is_valid), .. }) => match value.clone().into_const() {
                Some(value) if !is_valid(&value) => Err(expected()),
                _ => Ok(()),
            },
            Some(MetaType::Enum { enum_values, .. }) => {
                let known = match (value, source) {
                    (Literal::Enum(name), Source::Literal) => enum_values.contains_key(name.as_str()),
                    (Literal::String(name), Source::Variable) => enum_values.contains_key(name.as_str()),
                    _ => false,
                };
                if known { Ok(()) } else { Err(expected()) }
            }
            Some(MetaType::InputObject { input_fields, .. }) => {
                let Literal::Object(fields) = value else { return Err(expected()) };
                if let Some(unknown) = fields.keys().find(|key| !input_fields.contains_key(key.as_str())) {
                    return Err(path.field(unknown).error(format!("is not a field of \"{name}\"")));
                }
                for (field_name, field) in input_fields {
                    match fields.get(&Name::new(field_name)) {
                        Some(value) => check(registry, &field.ty, value, source, &path.field(field_name))?,
                        None if field.ty.ends_with('!') && field.default_value.is_none() => {
                            let problem = format!("a value of type \"{}\" must be provided", field.ty);
                            return Err(path.field(field_name).error(problem));
                        }
                        None => {}
                    }
                }
                Ok(())
            }
            // Scalars that accept any value, and names validation will report.
            _ => Ok(()),
        },
    }
}
