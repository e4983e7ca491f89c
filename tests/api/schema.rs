//! `schema.graphql` is the exported SDL; this needs no database.

#[test]
fn schema_graphql_matches_the_exported_sdl() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == audit_gateway::graphql::export_sdl(),
        "schema.graphql is out of date; regenerate it with: cargo run -- schema > schema.graphql"
    );
}
