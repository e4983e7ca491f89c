//! `GET /api/openapi.json`: an OpenAPI 3.1 document of every REST route, served without a token,
//! whose schemas describe what the routes really answer. (That each parser's keys, enumerations and
//! bounds are the document's is checked beside the parsers, in `rest::openapi`.)

use serde_json::Value;

use crate::common::*;

async fn document(app: &TestApp) -> Value {
    let (status, document) = app.get_as("/api/openapi.json", None).await;
    assert_eq!(status, 200, "{document}");
    document
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").expect("a local reference");
            let resolved = &document["components"]["schemas"][name];
            assert!(resolved.is_object(), "{reference} is defined");
            resolved
        }
        None => schema,
    }
}

/// Checks `value` against `schema` as far as the gateway's schemas go (objects, arrays, `oneOf`
/// with null, `allOf`, scalar types and formats): every key of a real body is documented, every
/// required one is there, and every value has its documented type.
fn conforms(document: &Value, schema: &Value, value: &Value, at: &str) {
    let schema = resolve(document, schema);
    if let Some(options) = schema["oneOf"].as_array() {
        let option = options
            .iter()
            .find(|option| (option["type"] == "null") == value.is_null())
            .unwrap_or_else(|| panic!("{at}: {value} matches no option of {schema}"));
        return conforms(document, option, value, at);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        // The parts together describe one object: every key must be in one of them.
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for part in parts {
            let part = resolve(document, part);
            properties.extend(part["properties"].as_object().cloned().unwrap_or_default());
            required.extend(part["required"].as_array().cloned().unwrap_or_default());
        }
        let merged = serde_json::json!({"type": "object", "properties": properties, "required": required});
        return conforms(document, &merged, value, at);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => panic!("{at}: a schema without a type: {schema}"),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(types.contains(&kind), "{at}: {value} is {kind}, documented as {types:?}");
    match value {
        Value::Object(object) => {
            let properties = schema["properties"].as_object().expect("an object's properties");
            for (key, field) in object {
                let property = properties.get(key).unwrap_or_else(|| panic!("{at}.{key} is not documented"));
                conforms(document, property, field, &format!("{at}.{key}"));
            }
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().expect("a key");
                assert!(object.contains_key(key), "{at}.{key} is required but absent");
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(document, &schema["items"], item, &format!("{at}[{i}]"));
            }
        }
        Value::String(text) => match schema["format"].as_str() {
            Some("date") => assert!(audit_gateway::filter::parse_date(text).is_some(), "{at}: {text} is a date"),
            Some("date-time") => {
                assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok(), "{at}: {text} is RFC 3339")
            }
            _ => {}
        },
        _ => {}
    }
}

/// The schema of `path`'s answer with `status`, as JSON.
fn response_schema<'a>(document: &'a Value, path: &str, status: &str) -> &'a Value {
    let schema = &document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path} documents a JSON {status}");
    schema
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_needs_no_token() {
    let app = TestApp::spawn().await;
    let response = app.client.get(format!("{}/api/openapi.json", app.address)).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("text").to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let document: Value = response.json().await.expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        serde_json::json!({
            "type": "http",
            "scheme": "bearer",
            "description": document["components"]["securitySchemes"]["bearer"]["description"],
        })
    );
}

#[tokio::test]
async fn every_route_is_documented_with_its_parameters_and_errors() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let paths: Vec<&str> = document["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    let data = [
        "/api/activity",
        "/api/activity/export",
        "/api/activity/facets",
        "/api/activity/insights",
        "/api/activity/stream",
    ];
    assert_eq!(paths, [&data[..], &["/healthz", "/readyz"]].concat());

    let scope = ["users", "actions", "object_types", "offset", "time_zone", "include_internal"];
    let expected: [(&str, &[&str]); 5] = [
        ("/api/activity", &["start_date", "end_date", "timeframe", "page", "size"]),
        ("/api/activity/export", &["start_date", "end_date", "timeframe", "format"]),
        ("/api/activity/facets", &["start_date", "end_date", "timeframe", "limit"]),
        ("/api/activity/insights", &["start_date", "report_date", "timeframe", "interval", "week_starts_on"]),
        ("/api/activity/stream", &["after"]),
    ];
    for (path, own) in expected {
        let operation = &document["paths"][path]["get"];
        let parameters = operation["parameters"].as_array().expect("parameters");
        let mut query: Vec<&str> =
            parameters.iter().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().expect("name")).collect();
        let mut wanted: Vec<&str> = scope.iter().chain(own).copied().collect();
        query.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(query, wanted, "{path}");
        for list in ["users", "actions", "object_types"] {
            let parameter = parameters.iter().find(|p| p["name"] == list).expect("a list");
            assert_eq!((&parameter["style"], &parameter["explode"]), (&"form".into(), &true.into()), "{path}: {list}");
            assert_eq!(parameter["schema"]["type"], "array");
        }
        assert_eq!(operation["security"], serde_json::json!([{"bearer": []}]), "{path}");
        let responses = operation["responses"].as_object().expect("responses");
        for status in ["200", "400", "401", "403", "413", "414", "422", "429", "431", "503", "504"] {
            assert!(responses.contains_key(status), "{path} documents {status}");
        }
        assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object(), "{path}");
        assert!(responses["429"]["headers"]["Retry-After"].is_object(), "{path}");
    }
    let stream = &document["paths"]["/api/activity/stream"]["get"];
    let header = stream["parameters"].as_array().expect("parameters").iter().find(|p| p["in"] == "header");
    assert_eq!(header.expect("Last-Event-ID")["name"], "Last-Event-ID");
    assert!(stream["responses"]["200"]["content"]["text/event-stream"].is_object());
    let export = &document["paths"]["/api/activity/export"]["get"]["responses"]["200"];
    assert!(export["content"]["text/csv"].is_object() && export["content"]["application/x-ndjson"].is_object());
    assert!(export["headers"]["Content-Disposition"].is_object());
    for health in ["/healthz", "/readyz"] {
        assert_eq!(document["paths"][health]["get"]["security"], serde_json::json!([{}]), "{health} needs no token");
    }
}

#[tokio::test]
async fn the_schemas_describe_real_answers() {
    let app = TestApp::spawn().await;
    handmade_log(app.db()).await;
    let document = document(&app).await;
    let real = [
        ("/api/activity", "/api/activity?size=20&end_date=2026-06-30"),
        ("/api/activity/insights", "/api/activity/insights?start_date=2026-06-01&report_date=2026-06-30"),
        ("/api/activity/insights", "/api/activity/insights?report_date=2026-06-30&interval=week"),
        ("/api/activity/insights", "/api/activity/insights?report_date=2020-06-30"),
        ("/api/activity/facets", "/api/activity/facets"),
    ];
    for (path, request) in real {
        let (status, body) = app.get(request).await;
        assert_eq!(status, 200, "{request}: {body}");
        conforms(&document, response_schema(&document, path, "200"), &body, request);
    }
    // The bodies the checks look into are not empty: system actions (no user) and the chart.
    let (_, list) = app.get("/api/activity?size=20").await;
    assert!(list["items"].as_array().expect("items").iter().any(|item| item["transaction"]["user"].is_null()));
    let (_, chart) = app.get("/api/activity/insights?report_date=2026-06-30&interval=week").await;
    assert!(!chart["chart"].as_array().expect("a chart").is_empty());

    // The errors, as the gateway renders them.
    let (status, invalid) = app.get("/api/activity?size=500&page=x&timeframe=decade").await;
    assert_eq!(status, 422);
    conforms(&document, response_schema(&document, "/api/activity", "422"), &invalid, "422");
    assert!(invalid["detail"].as_array().expect("entries").iter().any(|entry| entry.get("ctx").is_some()));
    let (status, unauthenticated) = app.get_as("/api/activity/insights", None).await;
    assert_eq!(status, 401);
    conforms(&document, response_schema(&document, "/api/activity/insights", "401"), &unauthenticated, "401");
    let (status, health) = app.get_as("/readyz", None).await;
    assert_eq!(status, 200);
    conforms(&document, response_schema(&document, "/readyz", "200"), &health, "readyz");
}
