//! What a GraphQL request may cost, checked before the gateway spends work on it. Each check runs
//! before the step whose work it bounds:
//!
//! 1. **Before parsing**, on the text: at most [`MAX_DOCUMENT_BYTES`], and lists, input objects
//!    and selection sets nested at most [`MAX_NESTING`] deep. The parser recurses once per level,
//!    so a 4 KB document nested 2,000 deep would otherwise overflow its stack and abort the
//!    process: async-graphql-parser limits only selection sets, and only after its grammar has
//!    descended through the whole text; values (lists, input objects) it never limits. Variables
//!    (JSON) are held to the same nesting.
//! 2. **Before validation**, on the parsed document: fragment spreads may expand to at most
//!    [`MAX_SELECTIONS`] selections, counted once per fragment (doubling fragments would make
//!    validation's work exponential), and no fragment may spread itself. Introspection's lists
//!    (`types`, `fields`, `args`, …) may nest at most [`MAX_INTROSPECTION_LISTS`] deep: each
//!    level multiplies the answer, and graphql-js's `getIntrospectionQuery()`, with every option,
//!    needs three. This, not a depth limit, is what keeps introspection cheap, so the standard
//!    query is never refused.
//! 3. **Before validation and execution**: the database work the operation asks for must fit in
//!    what is left of the HTTP request's [`Budget`] ([`REQUEST_BUDGET`], shared by the operations
//!    of a batch). Every field of `Query` and `ActivityInsights` declares its work
//!    ([`declared_work`]; a test fails for one that does not), summed over aliases and fragments
//!    and priced by [`audit::cost`]: from the window where the rollups answer, from the rows the
//!    log holds in the window where it is read row by row.
//!
//! Every refusal is `BAD_USER_INPUT` with `extensions.limit` naming the limit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{InputType, Name, ServerError, ServerResult, Value, Variables};

use super::query::parse_filter;
use super::types::{ActivityFilter, PageInput};
use crate::audit::{self, PageRequest, Snapshot, Work};
use crate::error::{AppError, ErrorKind, Raised};
use crate::filter::{Filter, Purpose};

/// Longest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// Deepest nesting of values (lists, input objects), and of selection sets, accepted.
pub const MAX_NESTING: usize = 32;
/// Most selections a document may expand to once its fragments are spread.
pub const MAX_SELECTIONS: u64 = 10_000;
/// Most introspection list fields nested in one another (`types { fields { args } }` is three).
pub const MAX_INTROSPECTION_LISTS: usize = 3;
/// Most database work one request may ask for, in [`audit::cost`]'s units: about a million rows
/// of the log read row by row (seconds of work), or hundreds of figures the rollups answer.
pub const REQUEST_BUDGET: u64 = 10_000;

/// What is left of one HTTP request's budget: a batch's operations draw on the same one, so their
/// costs add up.
pub struct Budget(AtomicU64);

impl Budget {
    pub fn new() -> Arc<Budget> {
        Arc::new(Budget(AtomicU64::new(REQUEST_BUDGET)))
    }

    /// Takes `cost` from the budget, or refuses (taking nothing) when not that much is left.
    fn charge(&self, cost: u64) -> ServerResult<()> {
        self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(cost)).map(|_| ()).map_err(
            |left| {
                refusal(
                    "cost",
                    format!(
                        "the request asks for {cost} units of database work and has {left} of its \
                         {REQUEST_BUDGET} left: ask for fewer or shorter windows"
                    ),
                )
            },
        )
    }
}

/// The checks of a parsed document (step 2): how far its fragments expand, how deep its
/// introspection lists nest.
pub(super) fn check_document(document: &ExecutableDocument) -> ServerResult<()> {
    check_expansion(document)?;
    check_introspection(document)
}

/// Prices the database work of the operation `operation_name` selects (step 3) and takes it from
/// the request's `budget`, counting the rows of plain-path windows in the request's snapshot.
pub(super) async fn charge(
    budget: &Budget,
    db: &Snapshot,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> ServerResult<()> {
    let work = request_work(document, operation_name, variables);
    let cost = audit::cost::total(db, &work)
        .await
        .map_err(|error| AppError::from(error).into_graphql().into_server_error(Default::default()))?;
    budget.charge(cost)
}

fn refusal(limit: &str, message: String) -> ServerError {
    let mut error = wrong_request(message);
    error.extensions.get_or_insert_with(Default::default).set("limit", limit);
    error
}

/// A request the client must change before it can run (`BAD_USER_INPUT`), refused before it runs.
pub(super) fn wrong_request(message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.source = Some(Arc::new(Raised { kind: ErrorKind::InvalidInput, broken_connection: false }));
    error.extensions.get_or_insert_with(Default::default).set("code", ErrorKind::InvalidInput.code());
    error
}

fn too_deep() -> ServerError {
    refusal("nesting", format!("the document nests values or selections deeper than {MAX_NESTING}"))
}

/// Size and nesting, read from the text without parsing it. Strings and comments are skipped;
/// brackets inside an argument or variable list (`(…)`) are values, the others selection sets.
pub(super) fn check_text(query: &str) -> ServerResult<()> {
    if query.len() > MAX_DOCUMENT_BYTES {
        return Err(refusal(
            "documentSize",
            format!("the document has {} bytes, more than the {MAX_DOCUMENT_BYTES} allowed", query.len()),
        ));
    }
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Open {
        Arguments,
        Value,
        Selection,
    }
    let mut open: Vec<Open> = Vec::new();
    let (mut arguments, mut values, mut selections) = (0usize, 0usize, 0usize);
    let bytes = query.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                while bytes.get(i).is_some_and(|&b| b != b'\n') {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !(bytes[i..].starts_with(b"\"\"\"") && bytes[i - 1] != b'\\') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while bytes.get(i).is_some_and(|&b| b != b'"' && b != b'\n') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => {
                open.push(Open::Arguments);
                arguments += 1;
                if arguments > MAX_NESTING {
                    return Err(too_deep());
                }
            }
            b'[' | b'{' => {
                let (kind, depth) =
                    if arguments > 0 { (Open::Value, &mut values) } else { (Open::Selection, &mut selections) };
                *depth += 1;
                if *depth > MAX_NESTING {
                    return Err(too_deep());
                }
                open.push(kind);
            }
            // Only a matching closer closes: a stray one cannot lower the count the parser would
            // reach (it stops at the first syntax error anyway).
            b')' if open.last() == Some(&Open::Arguments) => {
                open.pop();
                arguments -= 1;
            }
            b']' | b'}' => match open.last() {
                Some(Open::Value) => {
                    open.pop();
                    values -= 1;
                }
                Some(Open::Selection) => {
                    open.pop();
                    selections -= 1;
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Variables arrive as JSON (whose reader stops at 128 levels); they are held to the document's
/// nesting limit too, so a value is equally acceptable inline or as a variable.
pub(super) fn check_variables(variables: &Variables) -> ServerResult<()> {
    fn depth(value: &Value) -> usize {
        match value {
            Value::List(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    if variables.values().any(|value| depth(value) > MAX_NESTING) { Err(too_deep()) } else { Ok(()) }
}

/// Refuses documents whose fragments would expand past [`MAX_SELECTIONS`], or spread themselves.
fn check_expansion(document: &ExecutableDocument) -> ServerResult<()> {
    let mut expansion = Expansion { document, sizes: HashMap::new(), spreading: HashSet::new() };
    let mut total: u64 = 0;
    for (_, operation) in document.operations.iter() {
        total = total.saturating_add(expansion.size(&operation.node.selection_set.node)?);
    }
    if total > MAX_SELECTIONS {
        return Err(refusal(
            "selections",
            format!("the document expands to {total} selections, more than the {MAX_SELECTIONS} allowed"),
        ));
    }
    Ok(())
}

/// The fields of introspection's types that are lists.
const INTROSPECTION_LISTS: &[&str] =
    &["types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues", "directives"];

/// Refuses introspection whose lists nest deeper than [`MAX_INTROSPECTION_LISTS`]. Runs after
/// [`check_expansion`], so fragments are acyclic and the walk is bounded.
fn check_introspection(document: &ExecutableDocument) -> ServerResult<()> {
    fn deepest(document: &ExecutableDocument, set: &SelectionSet, inside: bool, lists: usize) -> usize {
        let mut fields = Vec::new();
        collect_fields(document, set, &mut fields);
        fields
            .into_iter()
            .map(|field| {
                let name = field.name.node.as_str();
                let inside = inside || name == "__schema" || name == "__type";
                let lists = lists + usize::from(inside && INTROSPECTION_LISTS.contains(&name));
                deepest(document, &field.selection_set.node, inside, lists)
            })
            .fold(lists, usize::max)
    }
    for (_, operation) in document.operations.iter() {
        if deepest(document, &operation.node.selection_set.node, false, 0) > MAX_INTROSPECTION_LISTS {
            return Err(refusal(
                "introspectionNesting",
                format!("introspection lists may nest at most {MAX_INTROSPECTION_LISTS} deep"),
            ));
        }
    }
    Ok(())
}

/// Counts selections with every fragment spread, each fragment's size computed once.
struct Expansion<'d> {
    document: &'d ExecutableDocument,
    sizes: HashMap<&'d str, u64>,
    /// Fragments being counted right now: meeting one again is a cycle.
    spreading: HashSet<&'d str>,
}

impl<'d> Expansion<'d> {
    fn size(&mut self, set: &'d SelectionSet) -> ServerResult<u64> {
        let mut size: u64 = 0;
        for selection in &set.items {
            let items = match &selection.node {
                Selection::Field(field) => 1u64.saturating_add(self.size(&field.node.selection_set.node)?),
                Selection::InlineFragment(inline) => self.size(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match (self.sizes.get(name), self.document.fragments.get(&spread.node.fragment_name.node)) {
                        (Some(&known), _) => known,
                        // Unknown fragments are validation's to report.
                        (None, None) => 0,
                        (None, Some(fragment)) => {
                            if !self.spreading.insert(name) {
                                return Err(refusal("fragmentCycle", format!("fragment {name} spreads itself")));
                            }
                            let fragment_size = self.size(&fragment.node.selection_set.node)?;
                            self.spreading.remove(name);
                            self.sizes.insert(name, fragment_size);
                            fragment_size
                        }
                    }
                }
            };
            size = size.saturating_add(items);
        }
        Ok(size)
    }
}

/// The type of the operation `operation_name` selects, if it selects one.
pub(super) fn operation_type(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<OperationType> {
    chosen_operation(document, operation_name).map(|operation| operation.ty)
}

/// The operation `operation_name` selects: the named one, or the document's only one.
fn chosen_operation<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    let mut operations = document.operations.iter();
    let operation = match operation_name {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|name| name.as_str() == wanted)),
        None => operations.next().filter(|_| document.operations.iter().count() == 1),
    };
    operation.map(|(_, operation)| &operation.node)
}

/// The database work the chosen operation asks for, field by field. Fields whose arguments do not
/// parse ask for none here: validation or the resolver refuses them before any database work.
fn request_work(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Vec<(Filter, Work)> {
    let Some(operation) = chosen_operation(document, operation_name) else { return Vec::new() };
    let arguments = Arguments { variables, operation };
    let mut fields = Vec::new();
    collect_fields(document, &operation.selection_set.node, &mut fields);
    let root = match operation.ty {
        OperationType::Subscription => "Subscription",
        OperationType::Query | OperationType::Mutation => "Query",
    };
    let mut work = Vec::new();
    for field in fields {
        root_work(document, root, field, &arguments, &mut work);
    }
    work
}

/// Whether the chosen operation runs at most one statement: a single `activityConnection`
/// (aside from `__typename`) without a cursor to continue from and without `totalCount`. Its page
/// is one seek that reads the users with the rows (the loader is fed, never asked), and its price
/// is known without reading anything ([`audit::cost`]). Such a request needs no transaction to be
/// consistent ([`Snapshot::read_once`]).
pub(super) fn reads_once(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let Some(operation) = chosen_operation(document, operation_name) else { return false };
    let mut fields = Vec::new();
    collect_fields(document, &operation.selection_set.node, &mut fields);
    fields.retain(|field| field.name.node != "__typename");
    let [field] = fields[..] else { return false };
    let continues = field.arguments.iter().any(|(name, _)| ["after", "before"].contains(&name.node.as_str()));
    let mut selected = Vec::new();
    collect_fields(document, &field.selection_set.node, &mut selected);
    field.name.node == "activityConnection" && !continues && selected.iter().all(|f| f.name.node != "totalCount")
}

/// The fields of a selection set, looking through fragments (whose cycles were refused before).
fn collect_fields<'d>(document: &'d ExecutableDocument, set: &'d SelectionSet, fields: &mut Vec<&'d Field>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => fields.push(&field.node),
            Selection::InlineFragment(inline) => collect_fields(document, &inline.node.selection_set.node, fields),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect_fields(document, &fragment.node.selection_set.node, fields);
                }
            }
        }
    }
}

/// What a field of `Query` or `ActivityInsights` asks of the database. Every field of those types
/// is declared here (a test holds it): a new one cannot be free by omission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Declared {
    /// Reads nothing of its own (names, users through the batched loader).
    Nothing,
    /// `activityInsights`: the statement every card and `actionsPerDay` come from.
    Insights,
    /// A card of `activityInsights`, computed by its statement.
    InInsights,
    /// `chart`: a statement of its own, each alias again.
    Chart,
    /// `activity`: a page, and the count when `total` or `pages` is selected.
    List,
    /// `activityConnection`: a seek, and the count when `totalCount` is selected.
    Connection,
    /// `activityFacets`: three grouped statements.
    Facets,
    /// `activityEvents`: pages of the log in feed order, one at a time, for as long as it runs
    /// (priced as one page; how many run at once is bounded per connection and per token).
    Feed,
}

fn declared_work(type_name: &str, field: &str) -> Option<Declared> {
    Some(match (type_name, field) {
        (_, "__typename" | "__schema" | "__type") => Declared::Nothing,
        ("Query", "activity") => Declared::List,
        ("Query", "activityConnection") => Declared::Connection,
        ("Query", "activityFacets") => Declared::Facets,
        ("Query", "activityInsights") => Declared::Insights,
        ("Subscription", "activityEvents") => Declared::Feed,
        ("ActivityInsights", "uniqueActors" | "totalActions" | "topEntityType" | "actionsPerDay" | "topActor") => {
            Declared::InInsights
        }
        ("ActivityInsights", "chart") => Declared::Chart,
        _ => return None,
    })
}

/// Adds the work of one root field of `root` (and of what it selects) to `work`.
fn root_work(
    document: &ExecutableDocument,
    root: &str,
    field: &Field,
    arguments: &Arguments<'_>,
    work: &mut Vec<(Filter, Work)>,
) {
    let mut selected = Vec::new();
    collect_fields(document, &field.selection_set.node, &mut selected);
    let selects = |names: &[&str]| selected.iter().any(|f| names.contains(&f.name.node.as_str()));
    match declared_work(root, field.name.node.as_str()) {
        Some(Declared::Insights) => {
            let Some(filter) = arguments.filter(field, Purpose::Insights) else { return };
            // Each `chart` (aliases included) is a statement of its own.
            let charts = selected
                .iter()
                .filter(|f| declared_work("ActivityInsights", f.name.node.as_str()) == Some(Declared::Chart))
                .count();
            work.extend(std::iter::repeat_n((filter.clone(), Work::Chart), charts));
            work.push((filter, Work::Insights));
        }
        Some(Declared::List) => {
            let (Some(filter), Some(page)) = (arguments.filter(field, Purpose::List), arguments.page(field)) else {
                return;
            };
            if selects(&["total", "pages"]) {
                work.push((filter.clone(), Work::Count));
            }
            work.push((filter, Work::Page { skip: page.offset() }));
        }
        Some(Declared::Connection) => {
            let Some(filter) = arguments.filter(field, Purpose::List) else { return };
            if selects(&["totalCount"]) {
                work.push((filter.clone(), Work::Count));
            }
            // A page is a seek from its cursor, whatever its depth.
            work.push((filter, Work::Page { skip: 0 }));
        }
        Some(Declared::Facets) => work.extend(arguments.filter(field, Purpose::List).map(|f| (f, Work::Facets))),
        Some(Declared::Feed) => {
            work.extend(arguments.filter(field, Purpose::Feed).map(|f| (f, Work::Page { skip: 0 })))
        }
        Some(Declared::Nothing | Declared::InInsights | Declared::Chart) | None => {}
    }
}

/// A field's arguments with the request's variables (or their defaults) filled in.
struct Arguments<'a> {
    variables: &'a Variables,
    operation: &'a OperationDefinition,
}

impl Arguments<'_> {
    fn value<T: InputType>(&self, field: &Field, name: &str) -> Option<T> {
        let value = match field.get_argument(name) {
            Some(value) => {
                Some(value.node.clone().into_const_with(|variable| Ok::<_, ()>(self.variable(&variable))).ok()?)
            }
            None => None,
        };
        T::parse(value).ok()
    }

    fn variable(&self, name: &Name) -> Value {
        self.variables
            .get(name)
            .cloned()
            .or_else(|| {
                let definition = self.operation.variable_definitions.iter().find(|d| d.node.name.node == *name)?;
                definition.node.default_value.as_ref().map(|value| value.node.clone())
            })
            .unwrap_or(Value::Null)
    }

    fn filter(&self, field: &Field, purpose: Purpose) -> Option<Filter> {
        parse_filter(self.value::<Option<ActivityFilter>>(field, "filter")?, purpose).ok()
    }

    fn page(&self, field: &Field) -> Option<PageRequest> {
        let page = self.value::<Option<PageInput>>(field, "page")?;
        PageRequest::parse(page.map(|p| p.page), page.map(|p| p.size)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!("{{ activity(filter: {{ users: {}1{} }}) {{ total }} }}", open.repeat(depth), close.repeat(depth))
    }

    fn refused_limit(result: ServerResult<()>) -> Option<String> {
        let error = result.err()?;
        Some(error.extensions?.get("limit")?.to_string())
    }

    #[test]
    fn values_nested_up_to_the_limit_pass_and_deeper_are_refused() {
        // The filter object is one level, so the list may nest 31 more.
        assert!(check_text(&nested("[", "]", MAX_NESTING - 1)).is_ok());
        assert_eq!(refused_limit(check_text(&nested("[", "]", MAX_NESTING))).as_deref(), Some("\"nesting\""));
        assert!(refused_limit(check_text(&nested("[", "]", 2_000))).is_some());
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        assert!(check_text(&format!("{{ a(b: \"{deep}\") }} # {deep}\n")).is_ok());
        assert!(check_text(&format!("{{ a(b: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}")).is_ok());
        assert!(check_text(&format!("{{ a(b: \"\\\"{deep}\") }}")).is_ok());
    }

    #[test]
    fn selection_sets_are_held_to_the_same_depth() {
        let deep = format!("{}{}", "{ a ".repeat(40), "}".repeat(40));
        assert!(refused_limit(check_text(&deep)).is_some());
    }

    #[test]
    fn documents_over_the_size_limit_are_refused() {
        let query = format!("{{ activity {{ total }} }}{}", " ".repeat(MAX_DOCUMENT_BYTES));
        assert_eq!(refused_limit(check_text(&query)).as_deref(), Some("\"documentSize\""));
    }

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("a valid document")
    }

    #[test]
    fn doubling_fragments_are_counted_once_each_and_refused() {
        let mut query = String::from("{ ...F20 } fragment F0 on Query { activity { total } }");
        for k in 1..=20 {
            query.push_str(&format!(" fragment F{k} on Query {{ ...F{} ...F{} }}", k - 1, k - 1));
        }
        // 2^20 copies of two selections.
        assert_eq!(refused_limit(check_expansion(&parse(&query))).as_deref(), Some("\"selections\""));
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused() {
        let query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(refused_limit(check_expansion(&parse(query))).as_deref(), Some("\"fragmentCycle\""));
    }

    #[test]
    fn introspection_lists_nest_three_deep_and_no_deeper() {
        let standard = "{ __schema { types { fields { args { name } } } } }";
        assert!(check_introspection(&parse(standard)).is_ok());
        let bomb = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        assert_eq!(refused_limit(check_introspection(&parse(bomb))).as_deref(), Some("\"introspectionNesting\""));
        // Our own fields may be called anything: only introspection's lists count.
        let through_fragment = "{ ...F } fragment F on Query { __type(name: \"Query\") { fields { args { type { fields { args { name } } } } } } }";
        assert!(check_introspection(&parse(through_fragment)).is_err());
    }

    #[test]
    fn aliases_and_fragments_add_up_their_database_work() {
        let variables = Variables::default();
        let year = r#"filter: {timeframe: YEAR, endDate: "2026-06-10", offset: 7}"#;
        let query = format!(
            "{{ a: activityInsights({year}) {{ totalActions c: chart {{ userCount }} chart {{ userCount }} }} ...F }} \
             fragment F on Query {{ b: activityInsights({year}) {{ totalActions }} activity({year}) {{ total }} }}"
        );
        let work: Vec<Work> = request_work(&parse(&query), None, &variables).into_iter().map(|(_, w)| w).collect();
        // Two insights, each chart alias, and one counted list with its first page.
        assert_eq!(
            work,
            [Work::Chart, Work::Chart, Work::Insights, Work::Insights, Work::Count, Work::Page { skip: 0 }]
        );
        let uncounted = format!("{{ activity({year}) {{ items {{ id }} }} }}");
        let work: Vec<Work> = request_work(&parse(&uncounted), None, &variables).into_iter().map(|(_, w)| w).collect();
        assert_eq!(work, [Work::Page { skip: 0 }]);
    }

    #[test]
    fn variables_and_their_defaults_are_read_like_the_resolver_reads_them() {
        let query = "query Q($f: ActivityFilter = {timeframe: WEEK, offset: 7}) { activityInsights(filter: $f) { totalActions } }";
        let days = |variables: &Variables, name| {
            request_work(&parse(query), Some(name), variables)
                .into_iter()
                .map(|(f, _)| f.days().len())
                .collect::<Vec<_>>()
        };
        assert_eq!(days(&Variables::default(), "Q"), [7]);
        let variables =
            Variables::from_json(serde_json::json!({ "f": { "timeframe": "YEAR", "endDate": "2026-06-10" } }));
        assert_eq!(days(&variables, "Q"), [365]);
        // Another operation name: nothing of this one runs.
        assert_eq!(days(&variables, "Other"), Vec::<usize>::new());
    }

    /// Every field of `Query`, `Subscription` and `ActivityInsights` declares its database work.
    #[tokio::test]
    async fn every_field_that_can_read_the_database_declares_its_work() {
        let schema = crate::graphql::schema_builder().finish();
        let introspection = "{ q: __type(name: \"Query\") { fields { name } } s: __type(name: \"Subscription\") { fields { name } } i: __type(name: \"ActivityInsights\") { fields { name } } }";
        let data = schema.execute(introspection).await.data.into_json().expect("json");
        for (alias, type_name) in [("q", "Query"), ("s", "Subscription"), ("i", "ActivityInsights")] {
            let fields = data[alias]["fields"].as_array().expect("fields");
            assert!(!fields.is_empty(), "{data}");
            for field in fields {
                let name = field["name"].as_str().expect("name");
                assert!(declared_work(type_name, name).is_some(), "{type_name}.{name} declares no database work");
            }
        }
        assert_eq!(declared_work("Query", "activitySomethingNew"), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::filter::check_invariants;

        /// Documents made of GraphQL's punctuation and words, in any order and nesting: strings,
        /// block strings, escapes and comments included, which the text check must skip.
        fn document() -> impl Strategy<Value = String> {
            let tokens = vec![
                "{",
                "}",
                "[",
                "]",
                "(",
                ")",
                "\"",
                "\"\"\"",
                "\\",
                "#",
                "\n",
                " ",
                ":",
                "...",
                "$f",
                "1",
                "a",
                "activity",
                "activityInsights",
                "filter:",
                "{ total }",
                "fragment F on Query",
                "...F",
                "__schema",
                "types",
                "fields",
                "query Q($f: ActivityFilter)",
                "@skip(if: true)",
            ];
            let run = prop::collection::vec(prop::sample::select(tokens), 0..600).prop_map(|t| t.concat());
            let deep = (0..80usize, prop::sample::select(vec!["[", "{", "(", "{a:"]))
                .prop_map(|(depth, open)| format!("{{ activity(filter: {}1 ) {{ total }} }}", open.repeat(depth)));
            prop_oneof![3 => run, 1 => deep, 1 => any::<String>()]
        }

        /// JSON of any shape where an `ActivityFilter` belongs, often of the right shape.
        fn filter_json() -> impl Strategy<Value = serde_json::Value> {
            use serde_json::{Value as Json, json};
            let leaf = prop_oneof![
                Just(Json::Null),
                any::<bool>().prop_map(Json::from),
                any::<i64>().prop_map(Json::from),
                any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Json::Number)),
                prop::sample::select(vec![
                    "WEEK",
                    "MONTH",
                    "YEAR",
                    "week",
                    "2026-06-10",
                    "2024-02-29",
                    "2026-02-30",
                    "Europe/Berlin",
                    "\0",
                    "update",
                    "",
                ])
                .prop_map(Json::from),
                any::<String>().prop_map(Json::from),
            ];
            let value = leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                    prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                        .prop_map(|map| Json::Object(map.into_iter().collect())),
                ]
            });
            let keys = prop::sample::select(vec![
                "users",
                "actions",
                "objectTypes",
                "startDate",
                "endDate",
                "timeframe",
                "offset",
                "timeZone",
                "includeInternal",
                "nope",
            ]);
            prop_oneof![
                3 => prop::collection::btree_map(keys, value.clone(), 0..6)
                    .prop_map(|map| Json::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
                1 => value,
                1 => Just(json!({ "timeframe": "YEAR", "endDate": "2026-06-10", "timeZone": "Pacific/Apia" })),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3_000))]

            /// Whatever the text, the limits answer without crashing, and a document they let
            /// through parses without exhausting the stack and is walked without end.
            #[test]
            fn every_document_is_refused_by_a_named_limit_or_parses(query in document()) {
                match check_text(&query) {
                    Err(error) => {
                        let limit = error.extensions.as_ref().and_then(|e| e.get("limit").cloned());
                        prop_assert!(limit.is_some(), "{:?}", error);
                    }
                    Ok(()) => {
                        if let Ok(document) = async_graphql::parser::parse_query(&query)
                            && check_expansion(&document).is_ok()
                        {
                            let _ = check_introspection(&document);
                            let _ = request_work(&document, None, &Variables::default());
                        }
                    }
                }
            }

            /// A filter variable of any JSON shape is refused as a value of the wrong type, or
            /// makes a filter that keeps every rule, or errors naming a field: the cost walk and
            /// the resolvers read it the same way.
            #[test]
            fn every_filter_value_is_a_filter_or_named_errors(json in filter_json(), insights in any::<bool>()) {
                let purpose = if insights { Purpose::Insights } else { Purpose::List };
                let value = Value::from_json(json).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let Ok(filter) = <Option<ActivityFilter> as InputType>::parse(Some(value)) else { return Ok(()) };
                match parse_filter(filter, purpose) {
                    Ok(filter) => {
                        if let Err(broken) = check_invariants(&filter, purpose) {
                            return Err(TestCaseError::fail(broken));
                        }
                    }
                    Err(errors) => prop_assert!(!errors.is_empty() && errors.iter().all(|e| !e.msg.is_empty())),
                }
            }
        }
    }
}
