//! The real router under generated input: thousands of mutated GraphQL documents (with variables
//! of any shape, by POST, GET and in batches) and REST query strings, each answered with a 2xx or
//! a 4xx that says what was wrong, never a 5xx or an `INTERNAL_SERVER_ERROR`; and afterwards the
//! log is unchanged and the next request is served. Deterministic: `FUZZ_SEED` picks another run
//! (the seed of a failing one is in its message), `FUZZ_CASES` a longer one.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::common::*;

/// Valid requests the mutations start from.
const DOCUMENTS: &[&str] = &[
    DASHBOARD,
    r#"{ activityInsights(filter: {timeframe: WEEK, endDate: "2026-06-10"}) { totalActions chart(interval: DAY) { start userCount } topActor { id name } topEntityType { objectType } } }"#,
    r#"query($f: ActivityFilter) { activityConnection(filter: $f, first: 5) { edges { cursor node { id transaction { user { name } } } } pageInfo { endCursor } totalCount } }"#,
    r#"query($f: ActivityFilter) { activityFacets(filter: $f, limit: 5) { users { userId count user { name } } actions { value count } objectTypes { value } } }"#,
    r#"query($f: ActivityFilter, $p: PageInput) { activity(filter: $f, page: $p) { total pages items { id objectId data } } }"#,
    r#"query Q($i: ChartInterval!) { activityInsights { chart(interval: $i, weekStartsOn: SUNDAY) { firstDay systemCount } } } fragment F on Query { activity { total } }"#,
    r#"{ __schema { types { name fields { name args { name } } } } __type(name: "ActivityFilter") { inputFields { name } } }"#,
];

/// What a mutation inserts: punctuation, names, and values of every type in every place.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "!",
    "$f",
    "$p",
    "$i",
    "$nope",
    "...F",
    "...",
    "\"",
    "\"\"\"",
    "#",
    "\n",
    "1",
    "-1",
    "0",
    "1.5",
    "1e400",
    "9223372036854775808",
    "\"x\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
    "null",
    "true",
    "[]",
    "{}",
    "WEEK",
    "\"WEEK\"",
    "DAY",
    "HOUR",
    "\"2024-02-29\"",
    "\"2026-02-30\"",
    "\"0001-01-01\"",
    "\"Europe/Berlin\"",
    "\"Mars/Base\"",
    "filter:",
    "page:",
    "first:",
    "last:",
    "after:",
    "before:",
    "{timeframe: YEAR}",
    "{startDate: 1}",
    "{offset: 7}",
    "{offset: 2, startDate: \"2016-06-13\"}",
    "{objectTypes: [\"Datastore\"]}",
    "{users: [\"x\"]}",
    "{users: [2, \"3\"]}",
    "{size: 0}",
    "{page: -1}",
    "\"djF8MTB8MjAyNi0wNi0wMyAyMzo1OTo1OQ\"",
    "\"nope\"",
    "activity",
    "activityInsights",
    "chart",
    "totalActions",
    "__typename",
    "__schema { types { name } }",
    "@skip(if: true)",
    "@include(if: $f)",
    "fragment F on Query { activity { total } }",
    "query",
    "mutation",
    "subscription",
    "interval: WEEK",
];

/// A value of any JSON shape, for variables.
fn any_json(rng: &mut StdRng, depth: u32) -> Value {
    let leaves = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(840),
        json!(1.5),
        json!(9_007_199_254_740_993_i64),
        json!("WEEK"),
        json!("week"),
        json!("2026-06-10"),
        json!("2024-02-29"),
        json!("2026-13-01"),
        json!("Europe/Berlin"),
        json!("\u{0}"),
        json!("update"),
        json!(""),
        json!("a".repeat(300)),
    ];
    match rng.random_range(0..if depth == 0 { 1 } else { 4 }) {
        0 => leaves.choose(rng).cloned().unwrap_or(Value::Null),
        1 => Value::Array((0..rng.random_range(0..3)).map(|_| any_json(rng, depth - 1)).collect()),
        _ => {
            let keys = [
                "users",
                "actions",
                "objectTypes",
                "startDate",
                "endDate",
                "timeframe",
                "offset",
                "timeZone",
                "includeInternal",
                "page",
                "size",
                "nope",
            ];
            let object: BTreeMap<String, Value> = (0..rng.random_range(0..4))
                .map(|_| (keys.choose(rng).copied().unwrap_or("users").to_owned(), any_json(rng, depth - 1)))
                .collect();
            json!(object)
        }
    }
}

/// A document mutated one to four times: spans deleted, duplicated or replaced, tokens inserted.
fn mutated_document(rng: &mut StdRng) -> String {
    let mut text: Vec<char> = DOCUMENTS.choose(rng).copied().unwrap_or(DASHBOARD).chars().collect();
    for _ in 0..rng.random_range(0..=4) {
        let at = rng.random_range(0..=text.len());
        let end = (at + rng.random_range(0..12)).min(text.len());
        let token: Vec<char> = TOKENS.choose(rng).copied().unwrap_or("{").chars().collect();
        match rng.random_range(0..4) {
            0 => {
                text.drain(at..end);
            }
            1 => {
                let span: Vec<char> = text[at..end].to_vec();
                text.splice(at..at, span);
            }
            2 => {
                text.splice(at..end, token);
            }
            _ => {
                text.splice(at..at, token);
            }
        }
    }
    text.into_iter().collect()
}

fn variables(rng: &mut StdRng) -> Value {
    let filter = match rng.random_range(0..3) {
        0 => json!({ "timeframe": "WEEK", "endDate": "2026-06-10" }),
        _ => any_json(rng, 3),
    };
    json!({ "filter": filter, "f": filter, "page": any_json(rng, 2), "p": any_json(rng, 2), "i": any_json(rng, 1) })
}

/// A REST query string of known and unknown keys with interesting, noisy and percent-encoded values.
fn query_string(rng: &mut StdRng) -> String {
    let keys = [
        "users",
        "actions",
        "object_types",
        "start_date",
        "end_date",
        "report_date",
        "timeframe",
        "offset",
        "time_zone",
        "include_internal",
        "page",
        "size",
        "limit",
        "interval",
        "week_starts_on",
        "x",
        "",
    ];
    let values = [
        "",
        "1",
        "-1",
        "840",
        "841",
        "101",
        "9223372036854775808",
        "2026-06-10",
        "2024-02-29",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31",
        "week",
        "year",
        "WEEK",
        "hour",
        "quarter",
        "sunday",
        "true",
        "maybe",
        "Europe%2FBerlin",
        "Pacific/Apia",
        "%00",
        "a%00b",
        "%FF",
        "%C3",
        "%C3%A9",
        "+",
        "%26",
        "%3D",
        "update",
        "Datastore",
        "2",
        "4",
    ];
    (0..rng.random_range(0..8))
        .map(|_| {
            let key = keys.choose(rng).copied().unwrap_or("x");
            let value = match rng.random_range(0..6) {
                0 => (0..rng.random_range(0..5)).map(|_| format!("%{:02X}", rng.random::<u8>())).collect(),
                1 => "a".repeat(rng.random_range(250..300)),
                _ => values.choose(rng).copied().unwrap_or("").to_owned(),
            };
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One generated request: what it was, for the failure message, and its status and body.
async fn send(app: &TestApp, rng: &mut StdRng) -> (String, u16, Value) {
    let client = &app.client;
    let request = match rng.random_range(0..10) {
        0..=4 => {
            let body = json!({ "query": mutated_document(rng), "variables": variables(rng) });
            let described = format!("POST /graphql {body}");
            (described, client.post(format!("{}/graphql", app.address)).json(&body))
        }
        5 => {
            let batch: Vec<Value> =
                (0..rng.random_range(1..4)).map(|_| json!({ "query": mutated_document(rng) })).collect();
            let described = format!("POST /graphql {}", Value::Array(batch.clone()));
            (described, client.post(format!("{}/graphql", app.address)).json(&batch))
        }
        6 => {
            let (query, variables) = (mutated_document(rng), variables(rng).to_string());
            let described = format!("GET /graphql?query={query}&variables={variables}");
            let request = client
                .get(format!("{}/graphql", app.address))
                .query(&[("query", query.as_str()), ("variables", variables.as_str())]);
            (described, request)
        }
        _ => {
            let endpoint = ["/api/activity", "/api/activity/insights", "/api/activity/facets"].choose(rng).copied();
            let url = format!("{}{}?{}", app.address, endpoint.unwrap_or("/api/activity"), query_string(rng));
            (format!("GET {url}"), client.get(&url))
        }
    };
    let (described, mut request) = request;
    if rng.random_bool(0.3) {
        request = request.header("accept", "application/graphql-response+json");
    }
    let response = request.bearer_auth(&app.token).send().await.expect("the gateway answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (described, status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A 2xx, or a 4xx that says what was wrong; never the gateway's own failure.
fn check(described: &str, status: u16, body: &Value, seed: u64) {
    let context = || format!("FUZZ_SEED={seed}: {described}\n-> {status} {body}");
    assert!(status < 500, "a 5xx: {}", context());
    assert!(body.is_object() || body.is_array(), "not a JSON body: {}", context());
    let responses = body.as_array().cloned().unwrap_or_else(|| vec![body.clone()]);
    for response in &responses {
        for error in response["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str();
            assert!(code.is_some_and(|c| c != "INTERNAL_SERVER_ERROR"), "error code {code:?}: {}", context());
        }
        if status == 422 {
            for entry in response["detail"].as_array().into_iter().flatten() {
                assert!(entry["loc"][1].as_str().is_some_and(|p| !p.is_empty()), "unnamed: {}", context());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_generated_requests_get_a_2xx_or_a_4xx_that_names_the_problem() {
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(2026);
    let cases: u64 = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(3_000);
    let app = Arc::new(TestApp::spawn().await);
    handmade_log(app.db()).await;
    let rows = "SELECT COUNT(*) FROM activity";
    let before = scalar(app.db(), rows).await;

    // Eight clients at once, each with its own stream of the seed's requests.
    let clients: Vec<_> = (0..8u64)
        .map(|client| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(client));
                let mut statuses = BTreeMap::<u16, u64>::new();
                for _ in 0..cases / 8 {
                    let (described, status, body) = send(&app, &mut rng).await;
                    check(&described, status, &body, seed);
                    *statuses.entry(status).or_default() += 1;
                }
                statuses
            })
        })
        .collect();
    let mut statuses = BTreeMap::<u16, u64>::new();
    for client in clients {
        for (status, n) in client.await.expect("a client") {
            *statuses.entry(status).or_default() += n;
        }
    }
    eprintln!("fuzz: {} requests (FUZZ_SEED={seed}), by status: {statuses:?}", statuses.values().sum::<u64>());
    // The generator reaches both kinds of answer, or it tests little.
    assert!(statuses.get(&200).is_some_and(|&n| n >= cases / 10), "{statuses:?}");
    assert!(statuses.range(400..500).map(|(_, n)| n).sum::<u64>() >= cases / 10, "{statuses:?}");

    assert_eq!(scalar(app.db(), rows).await, before, "the log changed");
    let (status, body) = app.graphql("{ activityInsights { totalActions } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
}
