//! `GET /api/activity/stream`: the live feed as server-sent events, for SIEM shippers and `curl`.
//!
//! Takes the list's scope parameters (`users`, `actions`, `object_types`, `include_internal`; a
//! window is a 422) and starts after the cursor in `Last-Event-ID` (what `EventSource` sends when
//! it reconnects), else after `after=`, else from now. Each event's `id:` is its cursor and its
//! `data:` the row as the list gives an item. A comment every [`HEARTBEAT`] keeps proxies from
//! closing a quiet stream. The stream ends when the token is revoked or expires (checked every
//! `Limits::live_token_recheck`), when the server drains, or after a database error; a client resumes from
//! its last event either way.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures_util::StreamExt;

use super::{ActivityBody, Errors, Params, RestError, filter_input, optional};
use crate::audit::feed::{FeedItem, FeedPosition};
use crate::auth::Admin;
use crate::availability::retry_broken;
use crate::error::AppError;
use crate::filter::{Field, FieldError, Filter, Purpose, both_parsed};
use crate::live::Transport;
use crate::state::AppState;
use crate::telemetry;

/// How often a quiet stream sends a comment (more often when the connection's idle timeout is
/// shorter than twice this, so a quiet stream is never idle).
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The live feed
///
/// Server-sent events, endless: each new row of the log in scope as an event whose `id` is its
/// cursor and whose `data` is the row as the list gives an item; a comment every 15 seconds keeps
/// a quiet stream open. Takes the list's scope but no window (`start_date`, `end_date` and
/// `timeframe` are refused).
#[utoipa::path(
    get,
    path = "/api/activity/stream",
    tag = "activity",
    params(super::openapi::ScopeParams, super::openapi::StreamParams, super::openapi::StreamHeaders),
    responses(
        (status = 200, description = "The events, until the token ends or the server drains", content_type = "text/event-stream", body = String),
        super::openapi::DataErrors
    ),
    security(("bearer" = []))
)]
pub(super) async fn stream(
    State(state): State<AppState>,
    Extension(admin): Extension<Admin>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, RestError> {
    let last_event_id = headers.get("last-event-id").map(|value| value.to_str().unwrap_or("\u{fffd}"));
    let (filter, after) = stream_request(&Params::new(query), last_event_id).map_err(AppError::InvalidInput)?;
    let Some(admitted) = state.live.admit(admin.token_id, Transport::EventStream) else {
        telemetry::refused("followers");
        return Err(AppError::TooManyFollowers.into());
    };
    let (live, filter) = (&state.live, &filter);
    let follow = retry_broken(&state.db, || async move { Ok(live.follow(filter.clone(), after).await?) }).await?;
    let ended = ended(state.clone(), headers);
    let events = follow
        .take_while(|next| {
            if let Err(error) = next {
                AppError::from(error.clone()).log();
            }
            std::future::ready(next.is_ok())
        })
        .filter_map(|next| std::future::ready(next.ok().map(event)))
        .take_until(ended)
        // The follower's place is freed when the stream is dropped.
        .map(move |event| {
            let _ = &admitted;
            Ok::<_, Infallible>(event)
        });
    let heartbeat = HEARTBEAT.min(state.limits.idle_timeout / 2);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat)).into_response())
}

/// The scope and the position to start after, or every bad parameter.
pub(super) fn stream_request(
    params: &Params,
    last_event_id: Option<&str>,
) -> Result<(Filter, Option<FeedPosition>), Vec<FieldError>> {
    let filter = Filter::parse(filter_input(params, "end_date"), Purpose::Feed, Utc::now());
    let mut errors = Errors::default();
    let after = match last_event_id {
        // A reconnecting EventSource repeats the URL it first opened: its last event wins.
        Some(id) => errors.take(FeedPosition::parse(id, Field::LastEventId)),
        None => optional(&mut errors, params, "after", |text| FeedPosition::parse(text, Field::After)),
    };
    let (filter, ()) = both_parsed(filter, errors.finish())?;
    Ok((filter, after))
}

/// One row as an event: its cursor as the id, the list's item as the data.
fn event(next: FeedItem) -> Event {
    let id = next.position.cursor();
    let body = ActivityBody::from(next.item);
    match Event::default().id(id).json_data(&body) {
        Ok(event) => event,
        // Serialising plain strings and numbers cannot fail; a comment keeps the stream going.
        Err(error) => {
            tracing::error!(%error, "an event could not be serialised");
            Event::default().comment("skipped")
        }
    }
}

/// Resolves when the stream must end: the server drains, or the token no longer admits.
async fn ended(state: AppState, headers: HeaderMap) {
    let recheck = async {
        loop {
            tokio::time::sleep(state.limits.live_token_recheck).await;
            // While the database is away the token cannot be checked, and the stream has nothing
            // to send either: it stays open.
            if let Err(AppError::Unauthenticated | AppError::Forbidden) =
                state.tokens.authenticate(&state.db, &headers).await
            {
                tracing::info!("a live feed's token no longer admits it; closing the stream");
                return;
            }
        }
    };
    tokio::select! {
        () = state.drain.started() => {}
        () = recheck => {}
    }
}
