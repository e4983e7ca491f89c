//! Metrics for operators, in Prometheus' text format on a listener of their own
//! (`serve --metrics-bind`), named after OpenTelemetry's semantic conventions where they have a
//! name: requests by method, route and status; the database pool; whether the database is away;
//! refusals by limit; GraphQL operations by name; broken connections retried; the rollup folding;
//! exported rows; open followers of the live feed. Labels come from closed sets (routes, limits, statuses) or are bounded (operation
//! names past [`MAX_OPERATION_NAMES`] are `other`), so a client cannot grow the series.
//!
//! The `metrics` crate's recorder is global to the process: [`handle`] installs it once, and every
//! part of the gateway records through the `metrics` macros.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

const REQUEST_DURATION: &str = "http_server_request_duration_seconds";
// OpenTelemetry's `db.client.connections.usage` and `.max` (its newer `db.client.connection.count`
// would be a gauge ending in `_count`, which Prometheus reserves for histograms).
const CONNECTIONS: &str = "db_client_connections_usage";
const CONNECTIONS_MAX: &str = "db_client_connections_max";
const DATABASE_UP: &str = "audit_gateway_database_up";
const REFUSALS: &str = "audit_gateway_refusals_total";
const OPERATIONS: &str = "audit_gateway_graphql_operations_total";
const RETRIES: &str = "audit_gateway_connection_retries_total";
const FOLD_DURATION: &str = "audit_gateway_rollup_fold_duration_seconds";
const FOLDED: &str = "audit_gateway_rollup_folded_deltas_total";
const PENDING: &str = "audit_gateway_rollup_pending_deltas";
const EXPORTED: &str = "audit_gateway_exported_rows_total";
const FOLLOWERS: &str = "audit_gateway_live_followers";

/// Distinct GraphQL operation names counted by name; later ones count as `other`.
pub const MAX_OPERATION_NAMES: usize = 100;

/// Request durations' buckets, in seconds: a plain page takes about a millisecond, a year of
/// charts tens, a deadline thirty seconds.
const DURATION_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &DURATION_BUCKETS) {
            Ok(builder) => builder,
            Err(error) => {
                tracing::error!(%error, "histogram buckets refused; durations are summaries");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::error!(%error, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        // Until `availability` finds it away.
        database_up(true);
        handle
    })
}

fn describe() {
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP requests, by method, route and status code."
    );
    describe_gauge!(CONNECTIONS, "Connections of the database pool, by state (idle or used).");
    describe_gauge!(CONNECTIONS_MAX, "Most connections the database pool may open.");
    describe_gauge!(DATABASE_UP, "1 while the database answers, 0 while the gateway answers 503 for it.");
    describe_counter!(REFUSALS, "Requests refused by a limit, by limit.");
    describe_counter!(
        OPERATIONS,
        "GraphQL operations executed, by operation name (bounded; anonymous ones are `anonymous`)."
    );
    describe_counter!(RETRIES, "Reads run a second time because their database connection broke.");
    describe_histogram!(FOLD_DURATION, Unit::Seconds, "Duration of one folding of the rollup deltas.");
    describe_counter!(FOLDED, "Rollup deltas folded into the rollup tables.");
    describe_gauge!(PENDING, "Rollup deltas the last folding found pending.");
    describe_counter!(EXPORTED, "Rows written by exports.");
    describe_gauge!(FOLLOWERS, "Open followers of the live feed, by transport (websocket subscriptions, sse streams).");
}

/// The metrics listener's routes: `GET /metrics`, with the pool of `db`.
pub fn router(db: DatabaseConnection) -> Router {
    Router::new().route("/metrics", get(render)).with_state(db)
}

async fn render(State(db): State<DatabaseConnection>) -> Response {
    record_pool(&db);
    let handle = handle();
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// The pool's connections as they are now.
fn record_pool(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    gauge!(CONNECTIONS, "state" => "idle").set(f64::from(idle));
    gauge!(CONNECTIONS, "state" => "used").set(f64::from(size.saturating_sub(idle)));
    gauge!(CONNECTIONS_MAX).set(f64::from(max));
}

/// Whether metrics are recorded: only once [`handle`] installed the recorder (`--metrics-bind`);
/// without it the gateway spends nothing on them.
fn recording() -> bool {
    HANDLE.get().is_some()
}

/// Middleware: each request's duration, by method, matched route (`other` for none) and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    if !recording() {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "other".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("http_request_method", method),
        ("http_route", route),
        ("http_response_status_code", response.status().as_str().to_owned()),
    ];
    histogram!(REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// The limits a refusal is counted under (docs/limits.md); any other name counts as `other`.
const LIMITS: [&str; 8] =
    ["rate", "bodySize", "documentSize", "nesting", "selections", "fragmentCycle", "introspectionNesting", "cost"];

/// A request refused by `limit`.
pub fn refused(limit: &str) {
    let limit = LIMITS.into_iter().find(|known| *known == limit).unwrap_or("other");
    counter!(REFUSALS, "limit" => limit).increment(1);
}

/// A GraphQL operation executed under `name` (none: anonymous).
pub fn operation(name: Option<&str>) {
    if !recording() {
        return;
    }
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let label = match name {
        None => "anonymous".to_owned(),
        Some(name) => {
            let mut seen = SEEN.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if seen.contains(name) || (seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_owned())) {
                name.to_owned()
            } else {
                "other".to_owned()
            }
        }
    };
    counter!(OPERATIONS, "graphql_operation_name" => label).increment(1);
}

/// Whether the database answers (`availability` says when that changes).
pub fn database_up(up: bool) {
    gauge!(DATABASE_UP).set(if up { 1.0 } else { 0.0 });
}

/// A read run again after its connection broke.
pub fn retried() {
    counter!(RETRIES).increment(1);
}

/// One folding of the rollup deltas: how long it took and how many it folded.
pub fn folded(deltas: u64, started: Instant) {
    histogram!(FOLD_DURATION).record(started.elapsed().as_secs_f64());
    counter!(FOLDED).increment(deltas);
    gauge!(PENDING).set(deltas as f64);
}

/// A follower of the live feed opened (`change` 1) or closed (-1) on `transport`.
pub fn followers(transport: &'static str, change: f64) {
    gauge!(FOLLOWERS, "transport" => transport).increment(change);
}

/// Rows an export wrote.
pub fn exported(rows: u64) {
    counter!(EXPORTED).increment(rows);
}
