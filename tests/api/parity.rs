//! REST and GraphQL give the same numbers for the same filter, over many generated filters.

use audit_gateway::seed::{self, SeedConfig};
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::common::*;

/// The REST bodies, rewritten in GraphQL's camelCase, for comparison.
fn camel(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let mut out = String::new();
                    let mut upper = false;
                    for c in key.chars() {
                        if c == '_' {
                            upper = true;
                        } else if upper {
                            out.push(c.to_ascii_uppercase());
                            upper = false;
                        } else {
                            out.push(c);
                        }
                    }
                    // GraphQL's IDs are REST's integers, as strings.
                    let v = match (out.as_str(), v) {
                        ("id" | "objectId", Value::Number(n)) => Value::String(n.to_string()),
                        _ => camel(v),
                    };
                    (out, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn rest_and_graphql_agree_on_generated_filters() {
    let app = TestApp::spawn().await;
    let config = SeedConfig {
        users: 12,
        actions: 1_500,
        days: 60,
        seed: 7,
        end_date: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        not_after: None,
    };
    seed::seed(app.db(), &config, |_| {}).await.expect("seed");
    let mut rng = StdRng::seed_from_u64(42);
    let verbs = ["update", "create", "delete", "run", "archive"];
    for round in 0..25 {
        let mut rest: Vec<String> = Vec::new();
        let mut filter = serde_json::Map::new();
        let users: Vec<i64> = (0..rng.random_range(0..3)).map(|_| rng.random_range(1..16)).collect();
        for user in &users {
            rest.push(format!("users={user}"));
        }
        filter.insert("users".into(), json!(users));
        let actions: Vec<&str> = (0..rng.random_range(0..3)).map(|_| verbs[rng.random_range(0..verbs.len())]).collect();
        for action in &actions {
            rest.push(format!("actions={action}"));
        }
        filter.insert("actions".into(), json!(actions));
        let offset = [0, 300, -60, -330, 345, 840, -840][rng.random_range(0..7)];
        rest.push(format!("offset={offset}"));
        filter.insert("offset".into(), json!(offset));
        let include_internal = rng.random_bool(0.5);
        rest.push(format!("include_internal={include_internal}"));
        filter.insert("includeInternal".into(), json!(include_internal));
        let end = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date") - chrono::Days::new(rng.random_range(0..40));
        let (mut list_rest, mut insights_rest) = (rest.clone(), rest);
        filter.insert("endDate".into(), json!(end.to_string()));
        if rng.random_bool(0.5) {
            let timeframe = ["week", "month", "quarter"][rng.random_range(0..3)];
            filter.insert("timeframe".into(), json!(timeframe.to_uppercase()));
            list_rest.push(format!("timeframe={timeframe}&end_date={end}"));
            insights_rest.push(format!("timeframe={timeframe}&report_date={end}"));
        } else {
            let start = end - chrono::Days::new(rng.random_range(0..30));
            filter.insert("startDate".into(), json!(start.to_string()));
            list_rest.push(format!("start_date={start}&end_date={end}"));
            insights_rest.push(format!("start_date={start}&report_date={end}"));
        }
        let page = rng.random_range(1..4);
        list_rest.push(format!("page={page}&size=20"));

        let (status, graphql) =
            app.graphql(DASHBOARD, json!({"filter": filter, "page": {"page": page, "size": 20}})).await;
        assert_eq!(status, 200, "{graphql}");
        let (_, list) = app.get(&format!("/api/activity?{}", list_rest.join("&"))).await;
        let (_, insights) = app.get(&format!("/api/activity/insights?{}", insights_rest.join("&"))).await;
        let mut graphql_list = graphql["data"]["activity"].clone();
        // `Activity.id` is GraphQL's addition to the REST shape.
        for item in graphql_list["items"].as_array_mut().into_iter().flatten() {
            item.as_object_mut().map(|item| item.remove("id"));
        }
        assert_eq!(graphql_list, camel(&list), "round {round}: {filter:?}");
        assert_eq!(graphql["data"]["activityInsights"], camel(&insights), "round {round}: {filter:?}");
        assert_eq!(list["total"], insights["total_actions"], "round {round}: the same window and scope");
    }
}
