//! `GET /api/activity/export`: the list's whole scope as CSV or NDJSON, streamed a chunk at a time
//! ([`Export`]), the next chunk read while the last one is written out, so memory stays flat (two
//! chunks) and no connection is held between chunks. The
//! response's headers go out once the export has noted where the log stands; a chunk that fails or
//! passes the request deadline ends the body early (the client sees a cut transfer, the log says
//! why); a client that goes away drops the stream, and no further statement runs.

use std::borrow::Cow;
use std::time::Duration;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::{Errors, Params, RestError, filter_input};
use crate::audit::{Export, ExportRow};
use crate::auth::Admin;
use crate::availability::retry_broken;
use crate::error::AppError;
use crate::filter::{Field, FieldError, Filter, Purpose, both_parsed};
use crate::state::AppState;
use crate::telemetry;

/// What an export is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    /// RFC 4180, UTF-8, a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    fn parse(text: &str) -> Result<Format, FieldError> {
        match text.trim() {
            "csv" => Ok(Format::Csv),
            "ndjson" => Ok(Format::Ndjson),
            _ => Err(FieldError::not_one_of(Field::Format, "'csv', 'ndjson'")),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// The columns, in order (CSV's header, NDJSON's keys).
const COLUMNS: [&str; 13] = [
    "activity_id",
    "issued_at",
    "local_time",
    "user_id",
    "user_name",
    "name",
    "email",
    "is_internal",
    "verb",
    "object_type",
    "object_id",
    "transaction_id",
    "remote_addr",
];

/// The export
///
/// The list's whole scope, in the list's order (newest first), as CSV (RFC 4180, UTF-8, a header row) or NDJSON (one
/// object a line), with the columns `activity_id`, `issued_at`, `local_time`, `user_id`,
/// `user_name`, `name`, `email`, `is_internal`, `verb`, `object_type`, `object_id`,
/// `transaction_id` and `remote_addr`. Streamed: a transfer cut short is an export that failed.
#[utoipa::path(
    get,
    path = "/api/activity/export",
    tag = "activity",
    params(super::openapi::ScopeParams, super::openapi::ListWindowParams, super::openapi::ExportParams),
    responses(
        (
            status = 200,
            description = "The rows, streamed",
            content((String = "text/csv"), (String = "application/x-ndjson")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"activity-….csv\"`"))
        ),
        super::openapi::DataErrors
    ),
    security(("bearer" = []))
)]
pub(super) async fn export(
    State(state): State<AppState>,
    admin: Option<Extension<Admin>>,
    RawQuery(query): RawQuery,
) -> Result<Response, RestError> {
    let (filter, format) = export_request(&Params::new(query), Utc::now()).map_err(AppError::InvalidInput)?;
    let filename = format!("{}.{}", file_stem(&filter), format.extension());
    let begin = || {
        let filter = filter.clone();
        async { Export::begin(&state.db, filter).await.map_err(AppError::from) }
    };
    let export = retry_broken(&state.db, begin).await?;
    let progress = Progress {
        next: Next::Read(export),
        format,
        rows: 0,
        started: false,
        token_id: admin.map(|Extension(admin)| admin.token_id),
    };
    let db = state.db.clone();
    let deadline = state.limits.request_timeout;
    let body = Body::from_stream(futures_util::stream::unfold(progress, move |progress| {
        next_part(db.clone(), deadline, progress)
    }));
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(AppError::internal)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}

/// The export's parameters, or every bad one.
pub(super) fn export_request(params: &Params, now: chrono::DateTime<Utc>) -> Result<(Filter, Format), Vec<FieldError>> {
    let filter = Filter::parse(filter_input(params, "end_date"), Purpose::List, now);
    let mut errors = Errors::default();
    let format = params.last("format").map_or(Some(Format::Csv), |text| errors.take(Format::parse(text)));
    let (filter, ()) = both_parsed(filter, errors.finish())?;
    // `errors` was empty, so the format parsed.
    Ok((filter, format.unwrap_or(Format::Csv)))
}

/// `activity-<first day>-<last day>`, or `activity-all` for all time.
fn file_stem(filter: &Filter) -> String {
    match (filter.first_day, filter.last_day) {
        (None, None) => "activity-all".to_owned(),
        (first, last) => format!(
            "activity-{}-{}",
            first.map_or_else(|| "start".to_owned(), |day| day.to_string()),
            last.map_or_else(|| "now".to_owned(), |day| day.to_string()),
        ),
    }
}

/// An export in flight: what comes next, and what has been sent (for the log).
struct Progress {
    next: Next,
    format: Format,
    rows: u64,
    /// Whether the CSV header went out.
    started: bool,
    token_id: Option<i64>,
}

/// Where the next chunk comes from.
enum Next {
    /// Read it now: the first chunk.
    Read(Export),
    /// Already being read while the last one was written out (aborted with the body, when a
    /// client goes away).
    Reading(Reading),
    /// Every row was sent, or the body was cut.
    Done,
}

type Chunk = (Export, Result<Vec<ExportRow>, AppError>);

/// A chunk being read by a task of its own; the task is aborted with it.
struct Reading(tokio::task::JoinHandle<Chunk>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !matches!(self.next, Next::Done) {
            tracing::info!(token_id = self.token_id, rows = self.rows, "export stopped: the client went away");
        }
    }
}

/// Reads `export`'s next chunk within the request deadline (again after a broken connection).
async fn read_chunk(db: DatabaseConnection, deadline: Duration, export: Export) -> Chunk {
    let db = &db;
    let read = || {
        let mut next = export.clone();
        async move {
            match tokio::time::timeout(deadline, next.next_chunk(db)).await {
                Ok(Ok(rows)) => Ok((next, rows)),
                Ok(Err(error)) => Err(AppError::from(error)),
                Err(_) => Err(AppError::Timeout),
            }
        }
    };
    match retry_broken(db, read).await {
        Ok((next, rows)) => (next, Ok(rows)),
        Err(error) => (export, Err(error)),
    }
}

/// The body's next part: the next chunk rendered (the one after it already being read), or the
/// end.
async fn next_part(
    db: DatabaseConnection,
    deadline: Duration,
    mut progress: Progress,
) -> Option<(Result<Bytes, std::io::Error>, Progress)> {
    let (export, rows) = match std::mem::replace(&mut progress.next, Next::Done) {
        Next::Done => return None,
        Next::Read(export) => read_chunk(db.clone(), deadline, export).await,
        Next::Reading(mut reading) => match (&mut reading.0).await {
            Ok(chunk) => chunk,
            Err(error) => return Some(progress.cut(AppError::internal(error))),
        },
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return Some(progress.cut(error)),
    };
    if !export.finished() {
        progress.next = Next::Reading(Reading(tokio::spawn(read_chunk(db, deadline, export.clone()))));
    }
    let header = !progress.started;
    progress.started = true;
    let out = match progress.format {
        Format::Csv => csv_chunk(header, &rows, export.filter()),
        Format::Ndjson => {
            let mut out = Vec::new();
            for row in &rows {
                write_json_line(&mut out, row, export.filter());
            }
            out
        }
    };
    progress.rows += rows.len() as u64;
    telemetry::exported(rows.len() as u64);
    if export.finished() {
        tracing::info!(token_id = progress.token_id, rows = progress.rows, "export finished");
        if out.is_empty() {
            return None;
        }
    }
    Some((Ok(Bytes::from(out)), progress))
}

impl Progress {
    /// Ends the body early, saying why in the log (the client sees a cut transfer).
    fn cut(self, failure: AppError) -> (Result<Bytes, std::io::Error>, Progress) {
        let reason = failure.to_string();
        failure.log();
        tracing::warn!(token_id = self.token_id, rows = self.rows, %reason, "export cut short");
        (Err(std::io::Error::other(reason)), self)
    }
}

/// Spreadsheets run a cell that begins with one of these as a formula; such cells get a `'`
/// first, which shows as text.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn guarded(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

fn csv_cells<'a>(row: &'a ExportRow, filter: &Filter) -> [Cow<'a, str>; COLUMNS.len()] {
    let number = |value: Option<i64>| Cow::Owned(value.map(|value| value.to_string()).unwrap_or_default());
    let text = |value: &'a Option<String>| value.as_deref().map_or(Cow::Borrowed(""), guarded);
    [
        number(Some(row.activity_id)),
        Cow::Owned(utc_text(row)),
        Cow::Owned(local_text(row, filter)),
        number(row.user_id),
        text(&row.user_name),
        text(&row.name),
        text(&row.email),
        Cow::Borrowed(match row.is_internal {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        }),
        guarded(&row.verb),
        guarded(&row.object_type),
        number(row.object_id),
        number(Some(row.transaction_id)),
        text(&row.remote_addr),
    ]
}

/// A chunk of RFC 4180 records (the header first when `header`): fields quoted where they must be,
/// lines ended with CRLF.
fn csv_chunk(header: bool, rows: &[ExportRow], filter: &Filter) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing into memory cannot fail.
    if header {
        let _ = writer.write_record(COLUMNS);
    }
    for row in rows {
        let _ = writer.write_record(csv_cells(row, filter).iter().map(|cell| cell.as_bytes()));
    }
    writer.into_inner().unwrap_or_default()
}

fn write_json_line(out: &mut Vec<u8>, row: &ExportRow, filter: &Filter) {
    let line = json!({
        "activity_id": row.activity_id,
        "issued_at": utc_text(row),
        "local_time": local_text(row, filter),
        "user_id": row.user_id,
        "user_name": row.user_name,
        "name": row.name,
        "email": row.email,
        "is_internal": row.is_internal,
        "verb": row.verb,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "transaction_id": row.transaction_id,
        "remote_addr": row.remote_addr,
    });
    // A `Value` always serialises.
    let _ = serde_json::to_writer(&mut *out, &line);
    out.push(b'\n');
}

/// RFC 3339 in UTC (`2026-06-04T09:00:00Z`, fractions when the log has them).
fn utc_text(row: &ExportRow) -> String {
    row.issued_at.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// RFC 3339 at the filter's zone or offset (`2026-06-04T11:00:00+02:00`).
fn local_text(row: &ExportRow, filter: &Filter) -> String {
    filter.local_time(row.issued_at).to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_spreadsheets_would_run_become_text() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guarded(formula), format!("'{formula}"));
        }
        for plain in ["Datastore", "a=b", "1-2", ""] {
            assert_eq!(guarded(plain), plain);
        }
    }

    #[test]
    fn formats_and_file_names() {
        assert_eq!(Format::parse("csv"), Ok(Format::Csv));
        assert_eq!(Format::parse(" ndjson "), Ok(Format::Ndjson));
        assert_eq!(Format::parse("xlsx").map_err(|error| error.field), Err(Field::Format));
        let now = Utc::now();
        let all = Filter::parse(Default::default(), Purpose::List, now).expect("filter");
        assert_eq!(file_stem(&all), "activity-all");
        let input = crate::filter::FilterInput {
            start_date: crate::filter::parse_date("2026-06-01"),
            end_date: crate::filter::parse_date("2026-06-30"),
            ..Default::default()
        };
        let june = Filter::parse(input, Purpose::List, now).expect("filter");
        assert_eq!(file_stem(&june), "activity-2026-06-01-2026-06-30");
    }
}
