//! Traces for operators, in OpenTelemetry's protocol over HTTP (`serve --otlp-endpoint`), off by
//! default. The spans are `tracing`'s, bridged to OpenTelemetry by `tracing-opentelemetry`:
//! - one per HTTP request ([`request_span`]), the server span, continuing the trace of an incoming
//!   `traceparent` header (W3C Trace Context); the access log line carries its trace id;
//! - the GraphQL request, its parsing, validation and execution, and each field that resolves to an
//!   object, from async-graphql's `Tracing` extension (added to the schema only while exporting, see
//!   [`exporting`], since it costs every field a call even when nothing is recorded);
//! - one per SQL statement, from SeaORM's `tracing-spans`: its text (`db.statement`), which holds
//!   placeholders only, since every value is bound (never the values themselves).
//!
//! Spans go out in batches from a task on the gateway's runtime, through hyper, to `URL/v1/traces`
//! (plain HTTP: a collector or agent beside the gateway). A collector that is away costs dropped
//! spans, never a request's time: the batch queue is bounded and the export is off the requests'
//! path. Log lines stay events on stderr; spans only ever go to the collector.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing::Subscriber;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::registry::LookupSpan;

use crate::edge::OperationName;

/// The spans' `service.name`.
const SERVICE_NAME: &str = "audit-gateway";

/// The path OTLP/HTTP receivers take traces at, below the endpoint's base URL (the way
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is read).
const TRACES_PATH: &str = "/v1/traces";

/// Whether this process exports spans: set once, before the schema is built.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (`--otlp-endpoint`); the GraphQL schema adds its tracing extension
/// only then.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Why traces cannot be exported to the endpoint given.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    #[error("--otlp-endpoint {0:?} is not an http:// URL (run a collector beside the gateway; https is not supported)")]
    NotHttp(String),
    #[error("--otlp-endpoint: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// The exporter while it runs: [`Exporter::shutdown`] sends what is still queued.
pub struct Exporter {
    provider: SdkTracerProvider,
}

/// The URL spans are posted to, from the endpoint's base URL.
pub fn traces_url(endpoint: &str) -> Result<String, TracesError> {
    if !endpoint.starts_with("http://") {
        return Err(TracesError::NotHttp(endpoint.to_owned()));
    }
    Ok(format!("{}{TRACES_PATH}", endpoint.trim_end_matches('/')))
}

impl Exporter {
    /// Starts exporting to the OTLP/HTTP receiver at `endpoint` (a base URL). Must run on the
    /// gateway's Tokio runtime, where the batches are sent from.
    pub fn start(endpoint: &str) -> Result<Exporter, TracesError> {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url(endpoint)?)
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build())
            .with_resource(Resource::builder().with_service_name(SERVICE_NAME).build())
            .build();
        EXPORTING.store(true, Ordering::Relaxed);
        Ok(Exporter { provider })
    }

    /// The layer that turns the gateway's spans into OpenTelemetry's: the request, async-graphql's
    /// and SeaORM's spans, and warnings and errors as events on the span they happened in.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let spans = Targets::new()
            .with_target("audit_gateway", LevelFilter::INFO)
            .with_target("async_graphql", LevelFilter::INFO)
            .with_target("sea_orm", LevelFilter::INFO);
        let filter = tracing_subscriber::filter::filter_fn(move |metadata| {
            if metadata.is_span() {
                spans.would_enable(metadata.target(), metadata.level())
            } else {
                *metadata.level() <= LevelFilter::WARN
            }
        });
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer(SERVICE_NAME))
            .with_threads(false)
            .with_filter(filter)
    }

    /// Sends the spans still queued and stops.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "the last spans could not be sent");
        }
    }
}

/// The server span of one HTTP request, around everything the gateway does for it (the access log
/// included, which reads its trace id with [`trace_id`]). Continues the trace of a valid incoming
/// `traceparent`; without one, or with one that does not parse, the request starts a trace.
pub async fn request_span(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("other", |path| path.as_str());
    let method = request.method();
    // The fields are evaluated only when the span is enabled, that is while exporting.
    let span = tracing::info_span!(
        "request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = route,
        url.path = request.uri().path(),
        http.response.status_code = Empty,
        graphql.operation.name = Empty,
    );
    if span.is_disabled() {
        return next.run(request).await;
    }
    let parent = TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(request.headers()));
    if parent.span().span_context().is_valid() {
        // Only fails for a span that already started, which this one has not.
        let _ = span.set_parent(parent);
    }
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    if let Some(OperationName(name)) = response.extensions().get::<OperationName>() {
        span.record("graphql.operation.name", name.as_str());
    }
    response
}

/// The trace id of the current request, as the access log writes it; `None` when spans are not
/// exported.
pub fn trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid().then(|| span_context.trace_id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_go_below_the_base_url_like_otel_exporter_otlp_endpoint() {
        assert_eq!(traces_url("http://collector:4318").unwrap(), "http://collector:4318/v1/traces");
        assert_eq!(traces_url("http://collector:4318/").unwrap(), "http://collector:4318/v1/traces");
        assert_eq!(traces_url("http://agent/otlp").unwrap(), "http://agent/otlp/v1/traces");
        assert!(matches!(traces_url("https://collector:4318"), Err(TracesError::NotHttp(_))));
        assert!(matches!(traces_url("collector:4318"), Err(TracesError::NotHttp(_))));
    }
}
