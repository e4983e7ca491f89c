//! What a data request must pass before its handler runs, in this order: the database is not
//! known to be away (else 503 at once), the bearer token is an Admin's (else 401/403), and the
//! token is within its rate (else 429). Only then is the body read: an unauthenticated client
//! cannot make the gateway buffer anything.
//!
//! The admitted [`Admin`] goes into the request's extensions for the handler and into the
//! response's for the access log, so every read of the audit log is attributable.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::Admin;
use crate::availability::retry_broken;
use crate::error::{AppError, Face};
use crate::state::AppState;
use crate::telemetry;

/// The middleware in front of every data route (`POST /graphql`, `/api/*`).
pub async fn admit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let face = Face::of(request.uri().path());
    if state.availability.is_down() {
        return AppError::Unavailable(None).render(face);
    }
    let headers = request.headers();
    let admin = match retry_broken(&state.db, || state.tokens.authenticate(&state.db, headers)).await {
        Ok(admin) => admin,
        Err(error) => return state.availability.observe(&state.db, error.render(face)),
    };
    if let Some(limiter) = &state.rate_limiter
        && let Err(retry_after) = limiter.check(admin.token_id)
    {
        telemetry::refused("rate");
        return attributed(AppError::RateLimited { retry_after }.render(face), admin);
    }
    request.extensions_mut().insert(admin);
    let response = next.run(request).await;
    attributed(state.availability.observe(&state.db, response), admin)
}

fn attributed(mut response: Response, admin: Admin) -> Response {
    response.extensions_mut().insert(admin);
    response
}
